/*
 * raw-init.c - the peer of boot-to-ready in bench/node-bench: an init
 * that powers the guest off as soon as the kernel runs it.  Static, so
 * it costs what umlab-init's own start costs, no more.
 */
#include <sys/mount.h>
#include <sys/reboot.h>
#include <fcntl.h>
#include <unistd.h>

#define MARK "UMLAB-RAW-INIT\n"

int
main(void)
{
	int fd;

	/* The host times the boot up to this line on the console. */
	if (write(1, MARK, sizeof(MARK) - 1) < 0) {
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		if ((fd = open("/dev/console", O_WRONLY)) >= 0 &&
		    write(fd, MARK, sizeof(MARK) - 1) < 0)
			close(fd);
	}
	reboot(RB_POWER_OFF);
	return 0;
}
