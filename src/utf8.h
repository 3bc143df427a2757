/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* utf8.h - whether text is valid UTF-8, as QEMU's JSON parser will read it */
#ifndef QD_UTF8_H
#define QD_UTF8_H

#include <stdbool.h>

/*
 * qd_utf8_valid() - whether @s is well-formed UTF-8 (RFC 3629: no overlong
 * forms, no UTF-16 surrogates, nothing above U+10FFFF). QEMU answers a
 * request with any other byte sequence in a string with a parse error that
 * carries no "id", so such text must never be sent.
 */
bool qd_utf8_valid(const char *s);

#endif
