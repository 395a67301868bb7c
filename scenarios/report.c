/*
 * report.c - what a run leaves behind: report.json (the machine-readable
 * record, written with jansson for correct escaping), topology.svg and a
 * short summary for people.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/lab.h"
#include "core/util.h"
#include "faults/fault.h"
#include "netsim/netsim.h"
#include "node/confine.h"
#include "node/node.h"
#include "scenarios/runtime.h"
#include "scenarios/scn_int.h"
#include "viz/viz.h"

enum scn_verdict
scn_verdict(const struct scn *s)
{
	if (s->interrupted)
		return SCN_INTERRUPTED;
	if (s->env_problem)
		return SCN_ENV;
	if (s->error && !s->error_is_run)
		return SCN_ERROR;
	if (s->error)
		return SCN_FAILED;
	if (s->faults && fault_failures(s->faults) > 0)
		return SCN_FAILED;   /* a fault that could not be injected fails the run */
	for (size_t i = 0; i < s->nchecks; i++)
		if (!s->checks[i].passed)
			return SCN_FAILED;
	return SCN_PASSED;
}

const char *
scn_verdict_name(enum scn_verdict v)
{
	switch (v) {
	case SCN_PASSED: return "passed";
	case SCN_FAILED: return "failed";
	case SCN_ERROR: return "error";
	case SCN_ENV: return "environment";
	case SCN_INTERRUPTED: return "interrupted";
	}
	return "?";
}

int
scn_exit_status(enum scn_verdict v)
{
	switch (v) {
	case SCN_PASSED: return UMLAB_EXIT_OK;
	case SCN_FAILED: return UMLAB_EXIT_FAILED;
	case SCN_ERROR: return UMLAB_EXIT_USAGE;
	case SCN_ENV: return UMLAB_EXIT_ENV;
	case SCN_INTERRUPTED: return UMLAB_EXIT_FAILED;
	}
	return UMLAB_EXIT_FAILED;
}

static json_t *
mac_json(const uint8_t m[6])
{
	return json_sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

json_t *
scn_nodes_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->lab->nnodes; i++) {
		struct lab_node *ln = s->lab->nodes[i];
		struct node *n = s->rt ? rt_node(s->rt, ln) : NULL;
		json_t *o = json_object(), *ifs = json_array();
		char a[64];

		json_object_set_new(o, "name", json_string(ln->name));
		json_object_set_new(o, "mem_mb", json_integer(ln->mem_mb));
		json_object_set_new(o, "state", json_string(n ? node_state_name(node_state(n)) :
							     "not started"));
		if (n && node_boot_seconds(n) >= 0)
			json_object_set_new(o, "boot_s", json_real(node_boot_seconds(n)));
		else
			json_object_set_new(o, "boot_s", json_null());
		if (n && *node_reason(n))
			json_object_set_new(o, "reason", json_string(node_reason(n)));
		if (n) {
			json_object_set_new(o, "boots", json_integer(node_boots(n)));
			json_object_set_new(o, "ptrace_stops", json_integer((json_int_t)node_ptrace_stops(n)));
		}
		json_object_set_new(o, "console", json_sprintf("console/%s.log", ln->name));
		for (int k = 0; k < ln->nifaces; k++) {
			json_t *f = json_object();

			lab_iface_cidr(&ln->ifaces[k], a, sizeof(a));
			json_object_set_new(f, "name", json_string(ln->ifaces[k].name));
			json_object_set_new(f, "mac", mac_json(ln->ifaces[k].mac));
			json_object_set_new(f, "address", *a ? json_string(a) : json_null());
			json_object_set_new(f, "link", ln->ifaces[k].link ?
					    json_string(ln->ifaces[k].link->name) : json_null());
			json_array_append_new(ifs, f);
		}
		json_object_set_new(o, "interfaces", ifs);
		json_array_append_new(arr, o);
	}
	return arr;
}

static const char *
kind_name(enum lab_switch_kind k)
{
	return k == LAB_HUB ? "hub" : k == LAB_WIRE ? "wire" : "switch";
}

/* Drops by reason, frames duplicated/corrupted/reordered/delayed and the
 * generator's seed (hex: replays need all 64 bits) of one direction. */
static json_t *
dir_json(const struct ns_port *p, enum ns_dir d)
{
	struct ns_counters c;
	json_t *o = json_object(), *drops = json_object();

	ns_port_counters(p, &c);
	for (int r = 0; r < NS_DROP_NREASONS; r++)
		json_object_set_new(drops, ns_drop_name((enum ns_drop)r),
				    json_integer((json_int_t)c.dir[d].drop[r]));
	json_object_set_new(o, "drops", drops);
	json_object_set_new(o, "duplicated", json_integer((json_int_t)c.dir[d].duplicated));
	json_object_set_new(o, "corrupted", json_integer((json_int_t)c.dir[d].corrupted));
	json_object_set_new(o, "reordered", json_integer((json_int_t)c.dir[d].reordered));
	json_object_set_new(o, "delayed", json_integer((json_int_t)c.dir[d].delayed));
	json_object_set_new(o, "held", json_integer((json_int_t)c.dir[d].held));
	json_object_set_new(o, "seed", json_sprintf("0x%016llx",
						    (unsigned long long)ns_port_seed(p, d)));
	return o;
}

json_t *
scn_links_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->lab->nlinks; i++) {
		struct lab_link *k = s->lab->links[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(k->name));
		json_object_set_new(o, "node", json_string(k->iface->node->name));
		json_object_set_new(o, "interface", json_string(k->iface->name));
		json_object_set_new(o, "switch", json_string(k->sw->name));
		json_object_set_new(o, "switch_kind", json_string(kind_name(k->sw->kind)));
		if (k->vlan != 0)
			json_object_set_new(o, "vlan", json_integer(k->vlan));
		if (k->trunk) {
			json_t *v = json_array();

			/* an empty list: every VLAN */
			for (int j = 0; j < k->nvlans; j++)
				json_array_append_new(v, json_integer(k->vlans[j]));
			json_object_set_new(o, "trunk_vlans", v);
		}
		if (k->rt != NULL) {
			struct ns_counters c;

			ns_port_counters(k->rt, &c);
			/* From the node's side: what it sent is what the port received. */
			json_object_set_new(o, "frames_from_node", json_integer((json_int_t)c.rx_frames));
			json_object_set_new(o, "bytes_from_node", json_integer((json_int_t)c.rx_bytes));
			json_object_set_new(o, "frames_to_node", json_integer((json_int_t)c.tx_frames));
			json_object_set_new(o, "bytes_to_node", json_integer((json_int_t)c.tx_bytes));
			json_object_set_new(o, "drops", json_integer((json_int_t)c.drop_frames));
			json_object_set_new(o, "up", json_boolean(ns_port_is_up(k->rt)));
			json_object_set_new(o, "to_node", dir_json(k->rt, NS_TO_NODE));
			json_object_set_new(o, "from_node", dir_json(k->rt, NS_FROM_NODE));
			if (s->o.capture)
				json_object_set_new(o, "pcap", json_sprintf("pcap/%s.pcapng", k->name));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *
scn_uplinks_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->lab->nuplinks; i++) {
		struct lab_uplink *u = s->lab->uplinks[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(u->name));
		json_object_set_new(o, "switch", json_string(u->sw->name));
		json_object_set_new(o, "url", json_string(u->url));
		if (u->rt != NULL) {
			struct ns_counters c;

			ns_port_counters(u->rt, &c);
			json_object_set_new(o, "frames_in", json_integer((json_int_t)c.rx_frames));
			json_object_set_new(o, "frames_out", json_integer((json_int_t)c.tx_frames));
			json_object_set_new(o, "drops", json_integer((json_int_t)c.drop_frames));
			if (ns_uplink_error(u->rt) != 0)
				json_object_set_new(o, "error", json_string(strerror(ns_uplink_error(u->rt))));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *
scn_plugs_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->lab->nplugs; i++) {
		struct lab_plug *p = s->lab->plugs[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "switch", json_string(p->sw->name));
		if (p->path[0] != '\0')
			json_object_set_new(o, "url", json_sprintf("umlab://%s", p->path));
		if (p->rt != NULL) {
			struct ns_counters c;

			ns_port_counters(p->rt, &c);
			/* From the lab's side, as for uplinks: in from the host program. */
			json_object_set_new(o, "frames_in", json_integer((json_int_t)c.rx_frames));
			json_object_set_new(o, "frames_out", json_integer((json_int_t)c.tx_frames));
			json_object_set_new(o, "drops", json_integer((json_int_t)c.drop_frames));
			json_object_set_new(o, "connections",
					    json_integer((json_int_t)ns_port_connections(p->rt)));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
faults_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; s->faults && i < fault_log_count(s->faults); i++) {
		const struct fault_event *e = fault_log_get(s->faults, i);
		json_t *o = json_object();

		json_object_set_new(o, "t", json_real(e->t));
		json_object_set_new(o, "seq", json_integer(e->seq));
		json_object_set_new(o, "planned_s", json_real(e->scheduled));
		if (e->address)
			json_object_set_new(o, "address", json_sprintf("0x%llx", e->address));
		json_object_set_new(o, "kind", json_string(e->kind));
		json_object_set_new(o, "target", json_string(e->target));
		json_object_set_new(o, "phase", json_string(e->phase));
		json_object_set_new(o, "detail", json_string(e->detail));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The run's timeline beside checks and boots: every fault event, on the
 * run's clock (report.html draws them). */
static json_t *
events_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; s->faults && i < fault_log_count(s->faults); i++) {
		const struct fault_event *e = fault_log_get(s->faults, i);
		json_t *o = json_object();

		json_object_set_new(o, "t", json_real(s->faults_t0 + e->t));
		json_object_set_new(o, "kind", json_sprintf("fault %s", e->phase));
		json_object_set_new(o, "target", json_string(e->target));
		json_object_set_new(o, "text", json_sprintf("%s: %s", e->kind, e->detail));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
checks_json(struct scn *s)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->nchecks; i++) {
		struct scn_check *c = &s->checks[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "passed", json_boolean(c->passed));
		json_object_set_new(o, "time_s", json_real(c->t));
		json_object_set_new(o, "where", json_string(c->where));
		if (c->detail)
			json_object_set_new(o, "detail", json_string(c->detail));
		json_array_append_new(arr, o);
	}
	return arr;
}

const char *
scn_outcome(struct scn *s)
{
	enum scn_verdict v = scn_verdict(s);

	if (s->outcome != NULL)
		return s->outcome;
	if (v == SCN_PASSED)
		return "passed";
	if (v == SCN_INTERRUPTED)
		return "interrupted";
	if (v == SCN_ENV)
		return "environment";
	if (s->timed_out)
		return "timeout";
	for (size_t i = 0; s->rt && i < s->lab->nnodes; i++) {
		struct node *n = rt_node(s->rt, s->lab->nodes[i]);

		if (n && node_state(n) == NODE_CRASHED)
			return "node_crashed";
	}
	if (v == SCN_ERROR)
		return "error";
	return "check_failed";
}

int
scn_write_report(struct scn *s)
{
	json_t *r = json_object();
	enum scn_verdict v = scn_verdict(s);
	char *path, *text, *cwd;
	int rc;

	json_object_set_new(r, "umlab_version", json_string(PACKAGE_VERSION));
	json_object_set_new(r, "report_format", json_integer(1));
	json_object_set_new(r, "scenario", json_string(s->path));
	json_object_set_new(r, "command_line", s->o.command_line ? json_string(s->o.command_line) :
			    json_null());
	json_object_set_new(r, "seed", json_integer((json_int_t)s->o.seed));
	{
		json_t *params = json_object();

		for (char **d = s->o.defines; d && *d; d++) {
			char *eq = strchr(*d, '='), *k;

			if (eq == NULL)
				continue;
			k = xasprintf("%.*s", (int)(eq - *d), *d);
			json_object_set_new(params, k, json_string(eq + 1));
			free(k);
		}
		json_object_set_new(r, "params", params);
	}
	json_object_set_new(r, "lab", json_string(s->lab->name));
	if ((cwd = getcwd(NULL, 0)) != NULL)
		json_object_set_new(r, "cwd", json_string(cwd));
	free(cwd);
	if (s->report_final) {
		json_object_set_new(r, "verdict", json_string(scn_verdict_name(v)));
		json_object_set_new(r, "exit_status", json_integer(scn_exit_status(v)));
		json_object_set_new(r, "outcome", json_string(scn_outcome(s)));
	} else {
		/* Replaced at the end; stays if umlab is killed on the way. */
		json_object_set_new(r, "verdict", json_string("incomplete"));
		json_object_set_new(r, "exit_status", json_null());
	}
	json_object_set_new(r, "duration_s", json_real(s->duration_s));
	json_object_set_new(r, "error", s->error ? json_string(s->error) : json_null());
	json_object_set_new(r, "confinement", json_string(confine_kind()));
	json_object_set_new(r, "nodes", scn_nodes_json(s));
	json_object_set_new(r, "links", scn_links_json(s));
	if (s->lab->nuplinks > 0)
		json_object_set_new(r, "uplinks", scn_uplinks_json(s));
	if (s->lab->nplugs > 0)
		json_object_set_new(r, "plugs", scn_plugs_json(s));
	json_object_set_new(r, "checks", checks_json(s));
	json_object_set_new(r, "faults", faults_json(s));
	json_object_set_new(r, "events", events_json(s));
	text = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(r);
	path = xasprintf("%s/report.json", s->outdir);
	rc = text ? write_file_atomic(path, text, strlen(text)) : -1;
	if (rc < 0)
		fprintf(stderr, "umlab: cannot write %s\n", path);
	free(path);
	free(text);
	return rc;
}

static void
xml_escaped(FILE *f, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
				fputc('?', f);
			else
				fputc(*p, f);
		}
	}
}

/* junit.xml: one test case per check, plus one for the run itself when
 * it ended on an error, so that CI systems show why. */
int
scn_write_junit(struct scn *s)
{
	char *path = xasprintf("%s/junit.xml", s->outdir), *tmp = xasprintf("%s.tmp", path);
	size_t failures = 0, tests = s->nchecks + (s->error != NULL);
	FILE *f = fopen(tmp, "w");
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "umlab: cannot write %s\n", tmp);
		free(tmp);
		free(path);
		return -1;
	}
	for (size_t i = 0; i < s->nchecks; i++)
		failures += !s->checks[i].passed;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites>\n<testsuite name=\"");
	xml_escaped(f, s->lab->name);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" time=\"%.3f\">\n", tests,
		failures, s->error != NULL, s->duration_s);
	for (size_t i = 0; i < s->nchecks; i++) {
		struct scn_check *c = &s->checks[i];

		fprintf(f, "  <testcase classname=\"");
		xml_escaped(f, s->lab->name);
		fprintf(f, "\" name=\"");
		xml_escaped(f, c->name);
		fprintf(f, "\" time=\"0\"");
		if (c->passed) {
			fprintf(f, "/>\n");
			continue;
		}
		fprintf(f, ">\n    <failure message=\"");
		xml_escaped(f, c->where);
		fprintf(f, "\">");
		xml_escaped(f, c->detail ? c->detail : "");
		fprintf(f, "</failure>\n  </testcase>\n");
	}
	if (s->error != NULL) {
		fprintf(f, "  <testcase classname=\"");
		xml_escaped(f, s->lab->name);
		fprintf(f, "\" name=\"scenario runs to its end\">\n    <error message=\"");
		xml_escaped(f, s->error);
		fprintf(f, "\"/>\n  </testcase>\n");
	}
	fprintf(f, "</testsuite>\n</testsuites>\n");
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "umlab: cannot write %s\n", path);
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	free(path);
	return rc;
}

void
scn_write_topology(struct scn *s)
{
	char *path = xasprintf("%s/topology.svg", s->outdir);
	char err[512];

	if (viz_render(s->lab, "svg", path, err, sizeof(err)) < 0)
		fprintf(stderr, "umlab: topology: %s\n", err);
	free(path);
}

/* The capture files the run wrote (links, plugs, uplinks, ring files). */
static size_t
capture_files(const char *outdir)
{
	char *dir = xasprintf("%s/pcap", outdir);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	free(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".pcapng") != NULL)
			n++;
	closedir(d);
	return n;
}

void
scn_print_summary(const struct scn *s, enum scn_verdict v)
{
	size_t passed = 0, n;

	for (size_t i = 0; i < s->nchecks; i++)
		passed += s->checks[i].passed != 0;
	if (s->o.tap) {
		printf("1..%zu\n# lab %s: %s; report %s/report.json\n", s->nchecks, s->lab->name,
		       scn_verdict_name(v), s->outdir);
		if (s->error)
			printf("# error: %s\n", s->error);
		fflush(stdout);
		return;
	}
	if (s->o.quiet)
		return;
	printf("umlab: lab %s: %zu nodes, %zu links; %zu checks passed, %zu failed; %s (%.1f s)\n",
	       s->lab->name, s->lab->nnodes, s->lab->nlinks, passed, s->nchecks - passed,
	       scn_verdict_name(v), s->duration_s);
	printf("  page      %s/report.html\n", s->outdir);
	printf("  report    %s/report.json (and junit.xml)\n", s->outdir);
	printf("  topology  %s/topology.svg\n", s->outdir);
	if (s->o.capture && (n = capture_files(s->outdir)) > 0)
		printf("  captures  %s/pcap/ (%zu file%s)\n", s->outdir, n, n == 1 ? "" : "s");
	if (s->lab->nnodes > 0)
		printf("  consoles  %s/console/\n", s->outdir);
	fflush(stdout);
}
