/* SPDX-License-Identifier: MIT */
/* A test consumer of a JetStream stream (Debian 12 has no `nats` CLI): reads every message the
 * stream holds, in order, by sequence number.
 *
 *   nats_consume URL STREAM DIR   writes DIR/SEQ.json (the message's data, byte for byte) and
 *                                 prints "SEQ MSGID" per message (MSGID: its Nats-Msg-Id, "-"
 *                                 when it has none); exit 0, or 2 when the stream cannot be read
 *   nats_consume                  (as a test, from make check) runs again under
 *                                 tests/sink_nats.sh, which starts a server, and checks itself:
 *                                 messages published with ids, one of them twice, read back
 *                                 once each with their ids and data. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#include "check.h"

/* Calls fn for every message of stream; 0, or -1 when the stream cannot be read. */
static int each_msg(const char *url, const char *stream,
		    void (*fn)(void *ud, uint64_t seq, const char *id, const char *data, int len),
		    void *ud)
{
	natsConnection *c = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int rc = -1;

	s = natsConnection_ConnectTo(&c, url);
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, c, NULL);
	if (s == NATS_OK)
		s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	if (s == NATS_OK) {
		rc = 0;
		for (uint64_t seq = si->State.FirstSeq; si->State.Msgs && seq <= si->State.LastSeq; seq++) {
			natsMsg *m = NULL;
			const char *id = NULL;

			s = js_GetMsg(&m, js, stream, seq, NULL, &jerr);
			if (s == NATS_NOT_FOUND)
				continue; /* deleted */
			if (s != NATS_OK) {
				rc = -1;
				break;
			}
			if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK)
				id = NULL;
			fn(ud, seq, id ? id : "-", natsMsg_GetData(m), natsMsg_GetDataLength(m));
			natsMsg_Destroy(m);
		}
	}
	if (rc < 0)
		fprintf(stderr, "nats_consume: %s stream %s: %s\n", url, stream,
			nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(c);
	return rc;
}

static void write_out(void *ud, uint64_t seq, const char *id, const char *data, int len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%llu.json", (const char *)ud, (unsigned long long)seq);
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, (size_t)len, f) != (size_t)len ||
	    fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	printf("%llu %s\n", (unsigned long long)seq, id);
}

/* ---- the self-check ---------------------------------------------------------------------------- */

struct seen {
	int n;
	char ids[8][32];
	char data[8][32];
};

static void remember(void *ud, uint64_t seq, const char *id, const char *data, int len)
{
	struct seen *s = ud;

	if (s->n < 8) {
		snprintf(s->ids[s->n], sizeof s->ids[0], "%s", id);
		snprintf(s->data[s->n], sizeof s->data[0], "%.*s", len, data);
	}
	s->n++;
}

static int self_check(const char *url)
{
	natsConnection *c = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	const char *subjects[] = {"consume.test"};
	const char *ids[] = {"a1", "b2", "a1", "c3"}; /* a1 twice: stored once */
	struct seen seen = {0};

	CHECK(natsConnection_ConnectTo(&c, url) == NATS_OK, "connect to %s", url);
	CHECK(natsConnection_JetStream(&js, c, NULL) == NATS_OK, "JetStream context");
	jsStreamConfig_Init(&cfg);
	cfg.Name = "CONSUME_TEST";
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	CHECK(js_AddStream(&si, js, &cfg, NULL, &jerr) == NATS_OK, "stream created");
	jsStreamInfo_Destroy(si);
	for (size_t i = 0; i < 4; i++) {
		jsPubOptions po;
		char body[32];

		jsPubOptions_Init(&po);
		po.MsgId = ids[i];
		snprintf(body, sizeof body, "{\"n\":%zu}\n", i);
		CHECK(js_Publish(NULL, js, "consume.test", body, (int)strlen(body), &po, &jerr) == NATS_OK,
		      "publish %s", ids[i]);
	}
	CHECK(each_msg(url, "CONSUME_TEST", remember, &seen) == 0, "the stream is read");
	CHECK(seen.n == 3, "three messages (a duplicate id is stored once): %d", seen.n);
	CHECK(!strcmp(seen.ids[0], "a1") && !strcmp(seen.ids[1], "b2") && !strcmp(seen.ids[2], "c3"),
	      "their ids in order: %s %s %s", seen.ids[0], seen.ids[1], seen.ids[2]);
	CHECK(!strcmp(seen.data[0], "{\"n\":0}\n") && !strcmp(seen.data[2], "{\"n\":3}\n"),
	      "their data byte for byte: %s %s", seen.data[0], seen.data[2]);
	CHECK(each_msg(url, "NO_SUCH_STREAM", remember, &seen) < 0, "a missing stream is an error");
	jsCtx_Destroy(js);
	natsConnection_Destroy(c);
	nats_Close();
	return check_exit();
}

int main(int argc, char **argv)
{
	const char *url = getenv("NATS_URL");
	int rc;

	if (argc == 4) {
		rc = each_msg(argv[1], argv[2], write_out, argv[3]);
		nats_Close();
		return rc < 0 ? 2 : 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: nats_consume URL STREAM DIR\n");
		return 2;
	}
	if (!url) { /* run again under tests/sink_nats.sh, which starts a server */
		char script[4096];

		snprintf(script, sizeof script, "%s/tests/sink_nats.sh",
			 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
		execl("/bin/sh", "sh", script, argv[0], (char *)NULL);
		perror(script);
		return 99;
	}
	return self_check(url);
}
