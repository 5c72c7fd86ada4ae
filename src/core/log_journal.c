/* SPDX-License-Identifier: MIT */
/* Log entries sent to journald with sd_journal_sendv (see log_journal.h); only the core program
 * links it, so that feedspool-parse does not load libsystemd. */
#include "autoconfig.h"

#ifdef HAVE_SYSTEMD
#include "log_journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "buf.h"
#include "log.h"
#include "url.h"

int log_journal_send(const char *prog, int lvl, const char *url, const char *msg)
{
	char prio[16], ident[64], feed[256 + 5], *fields[5];
	struct iovec iov[5];
	struct buf m = BUF_INIT, u = BUF_INIT;
	char *bare = url ? url_strip_userinfo(url) : NULL; /* credentials stay out of the journal */
	size_t n = 0;
	int rc = -1;

	snprintf(prio, sizeof prio, "PRIORITY=%d", lvl);
	snprintf(ident, sizeof ident, "SYSLOG_IDENTIFIER=%s", prog);
	if (buf_printf(&m, "MESSAGE=%s", msg) < 0 ||
	    (url && (!bare || buf_printf(&u, "URL=%s", bare) < 0)))
		goto out;
	fields[n++] = m.data;
	fields[n++] = prio;
	fields[n++] = ident;
	memcpy(feed, "FEED=", 5);
	if (log_feed_of(msg, feed + 5, sizeof feed - 5))
		fields[n++] = feed;
	if (url)
		fields[n++] = u.data;
	for (size_t i = 0; i < n; i++)
		iov[i] = (struct iovec){fields[i], strlen(fields[i])};
	rc = sd_journal_sendv(iov, (int)n);
out:
	free(bare);
	buf_fini(&m);
	buf_fini(&u);
	return rc;
}
#endif
