/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* replay_subst.h - what changed between the recorded command line and this one (paths, uuids) */
#ifndef FQ_REPLAY_SUBST_H
#define FQ_REPLAY_SUBST_H

#include <stddef.h>

/* struct fq_subst - recorded text -> what it is in this run. */
struct fq_subst {
	char **from, **to;
	size_t n;
};

/* fq_subst_from_argv() - the substitutions the differing arguments give. */
void fq_subst_from_argv(struct fq_subst *s, char **recorded, size_t nrec, char **now, size_t nnow);

/* fq_subst_apply() - @text (@len bytes) with every substitution made (malloc'd, NUL-terminated). */
char *fq_subst_apply(const struct fq_subst *s, const char *text, size_t len, size_t *out_len);

void fq_subst_free(struct fq_subst *s);

#endif
