/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hmp_session.h - a human monitor on a chardev: banner, prompt, readline's echo and editing */
#ifndef FQ_HMP_SESSION_H
#define FQ_HMP_SESSION_H

#include <stddef.h>

#include "strbuf.h"

/* struct fq_hmp_line - readline's state: the line being typed, what the terminal shows. */
struct fq_hmp_line {
	struct strbuf cmd;
	size_t shown; /* bytes of cmd on the terminal (readline's last_cmd_buf_size) */
	int esc;      /* 0, or 1 after ESC, 2 after ESC [ (a sequence being skipped) */
};

/**
 * fq_hmp_session_open() - CHR_EVENT_OPENED of a human monitor: the banner
 * and the first prompt
 * @rl:  the session's line state (reset)
 * @out: receives the bytes for the client
 */
void fq_hmp_session_open(struct fq_hmp_line *rl, struct strbuf *out);

/**
 * fq_hmp_session_byte() - readline_handle_byte(): one byte the client typed
 * @rl:  the session's line state
 * @c:   the byte
 * @out: receives the echo, and on Enter the command's output and a prompt
 *
 * Printable bytes are inserted and echoed as readline redraws its line
 * (ESC [ D back over what was shown, the line, ESC [ K); backspace and DEL
 * delete; CR or LF runs the line through the human monitor; other control
 * bytes and escape sequences are consumed without effect.
 */
void fq_hmp_session_byte(struct fq_hmp_line *rl, unsigned char c, struct strbuf *out);

/* fq_hmp_session_free() - release the line state. */
void fq_hmp_session_free(struct fq_hmp_line *rl);

#endif
