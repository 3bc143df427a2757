/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qmp_peer.h - a strict scripted QMP peer over a socketpair, for unit tests */
#ifndef QMP_PEER_H
#define QMP_PEER_H

#include <stddef.h>

enum peer_op {
	PEER_SEND,	     /* write text verbatim, "@ID@" replaced by the last id */
	PEER_SEND_BYTEWISE,  /* the same, one byte per write, each read before the next */
	PEER_EXPECT,	     /* the next command must be text (and args, if given) */
	PEER_EXPECT_FD,	     /* the same, and it brings one descriptor: a copy of count's */
	PEER_EXPECT_RAW,     /* the next message must equal the JSON in text */
	PEER_CLOSE,	     /* close the socket */
	PEER_SERVE_REVERSED, /* take count commands in any order, reply in reverse */
	PEER_STALL,	     /* read nothing more; wait for the client to hang up */
	PEER_ANSWER	     /* as SEND, "@ID@" the oldest command not answered yet */
};

/* struct peer_step - one step of the script. */
struct peer_step {
	enum peer_op op;
	const char *text;
	const char *args; /* PEER_EXPECT: JSON the arguments must equal, or NULL */
	int count;	  /* PEER_SERVE_REVERSED; PEER_EXPECT_FD: the descriptor it must copy */
};

/* clang-format off */
#define SEND(t) {.op = PEER_SEND, .text = (t)}
#define SEND_BYTEWISE(t) {.op = PEER_SEND_BYTEWISE, .text = (t)}
#define EXPECT(cmd) {.op = PEER_EXPECT, .text = (cmd)}
#define EXPECT_ARGS(cmd, a) {.op = PEER_EXPECT, .text = (cmd), .args = (a)}
#define EXPECT_FD(cmd, a, fd) {.op = PEER_EXPECT_FD, .text = (cmd), .args = (a), .count = (fd)}
#define EXPECT_RAW(json) {.op = PEER_EXPECT_RAW, .text = (json)}
#define CLOSE() {.op = PEER_CLOSE}
#define SERVE_REVERSED(n) {.op = PEER_SERVE_REVERSED, .count = (n)}
#define STALL() {.op = PEER_STALL}
#define ANSWER(t) {.op = PEER_ANSWER, .text = (t)}
/* clang-format on */
#define REPLY_OK SEND("{\"return\": {}, \"id\": @ID@}\r\n")
/* Pipelined commands are answered in order: ANSWER_OK answers the oldest one waiting. */
#define ANSWER_OK ANSWER("{\"return\": {}, \"id\": @ID@}\r\n")

#define GREETING_72                                                                                \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "         \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define GREET SEND(GREETING_72), EXPECT("qmp_capabilities"), REPLY_OK

struct qmp_peer;

/*
 * A descriptor that comes with a command other than EXPECT_FD's fails the
 * script: it is passed with the first byte of the command that takes it.
 *
 * peer_start() - run @steps in a thread on one end of a socketpair; the
 * other end is returned in *@client_fd. The script is strict: a command the
 * script does not expect, or one sent after the script ends, fails it.
 */
struct qmp_peer *peer_start(const struct peer_step *steps, size_t nsteps, int *client_fd);

/*
 * peer_finish() - wait for the peer (the client must have closed its end or
 * the script must end with CLOSE) and fail the test on any script violation
 * or unused step.
 */
void peer_finish(struct qmp_peer *p);

#endif
