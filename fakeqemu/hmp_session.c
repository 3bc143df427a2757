/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hmp_session.c - a human monitor on a chardev: banner, prompt, readline's echo and editing */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "fakeqemu.h"
#include "hmp_session.h"

#define PROMPT "(qemu) "

/* monitor_puts(): every "\n" leaves as "\r\n" (a "\r\n" already there stays). */
static void puts_crlf(struct strbuf *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			strbuf_addc(out, '\r');
		strbuf_addc(out, *p);
	}
}

void fq_hmp_session_open(struct fq_hmp_line *rl, struct strbuf *out)
{
	const struct fq_dialect *d = fq_vm.cfg.dialect;

	strbuf_reset(&rl->cmd);
	rl->shown = 0;
	rl->esc = 0;
	strbuf_addf(out, "QEMU %d.%d.%d monitor - type 'help' for more information\r\n", d->major,
		    d->minor, d->micro);
	strbuf_adds(out, PROMPT);
}

/* readline_update(): back over what is shown, the line again, clear to its end. */
static void redraw(struct fq_hmp_line *rl, struct strbuf *out)
{
	for (size_t i = 0; i < rl->shown; i++)
		strbuf_adds(out, "\033[D");
	strbuf_add(out, rl->cmd.buf ? rl->cmd.buf : "", rl->cmd.len);
	strbuf_adds(out, "\033[K");
	rl->shown = rl->cmd.len;
}

static void run_line(struct fq_hmp_line *rl, struct strbuf *out)
{
	json_object *args = json_object_new_object();
	struct fq_reply r = {0};

	json_object_object_add(args, "command-line",
			       json_object_new_string(strbuf_str(&rl->cmd)));
	strbuf_reset(&rl->cmd);
	rl->shown = 0;
	strbuf_adds(out, "\r\n");
	fq_cmd_human_monitor_command(args, &r);
	json_object_put(args);
	if (r.err_class)
		puts_crlf(out, r.err_desc);
	else if (r.ret)
		puts_crlf(out, json_object_get_string(r.ret));
	if (r.err_class)
		strbuf_adds(out, "\r\n");
	json_object_put(r.ret);
	free(r.err_class);
	free(r.err_desc);
	strbuf_adds(out, PROMPT);
}

void fq_hmp_session_byte(struct fq_hmp_line *rl, unsigned char c, struct strbuf *out)
{
	if (rl->esc == 1) {
		rl->esc = c == '[' || c == 'O' ? 2 : 0;
		return;
	}
	if (rl->esc == 2) {
		/* Parameters, then a final byte ends the sequence (arrows, Home...). */
		if (c >= 0x40 && c <= 0x7e)
			rl->esc = 0;
		return;
	}
	switch (c) {
	case '\r':
	case '\n':
		run_line(rl, out);
		return;
	case 27:
		rl->esc = 1;
		return;
	case 8:
	case 127:
		if (rl->cmd.len) {
			rl->cmd.len--;
			rl->cmd.buf[rl->cmd.len] = '\0';
			redraw(rl, out);
		}
		return;
	default:
		if (c < 32)
			return;
		strbuf_addc(&rl->cmd, (char)c);
		redraw(rl, out);
	}
}

void fq_hmp_session_free(struct fq_hmp_line *rl)
{
	strbuf_free(&rl->cmd);
}
