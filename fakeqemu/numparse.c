/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* numparse.c - QEMU's number and size parsers (util/cutils.c), as each version has them */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "since.h"

/* suffix_mul(): the multiplier of a unit letter, or 0 for none. */
static uint64_t suffix_mul(char c)
{
	static const char units[] = "BKMGTPE";
	const char *u = c ? strchr(units, toupper((unsigned char)c)) : NULL;

	return u ? 1ULL << (10 * (u - units)) : 0;
}

/* Up to 5.2: the whole number is a double (hex floats and exponents included). */
static int strtosz_double(const char *s, uint64_t unit, uint64_t *out)
{
	char *end;
	double val, integral;
	uint64_t mul;
	int ret = 0;

	errno = 0;
	val = strtod(s, &end);
	if (end == s)
		return -EINVAL;
	if (errno)
		ret = -errno; /* qemu_strtod_finite(): over- and underflow */
	else if (!isfinite(val))
		return -EINVAL;
	if (!ret) {
		mul = suffix_mul(*end);
		if (mul)
			end++;
		else
			mul = unit;
		if (mul == 1 && modf(val, &integral) != 0)
			ret = -EINVAL;
		/* The largest double below 2^64, and -0.0 is not below zero. */
		else if (val * (double)mul > nextafter(0x1p64, 0) || val < 0)
			ret = -ERANGE;
		else
			*out = (uint64_t)(val * (double)mul);
	}
	return *end ? -EINVAL : ret;
}

/* 6.0 to 8.0: a decimal (or 0x) integer, then a fraction without exponent. */
static int strtosz_split(const char *s, uint64_t unit, uint64_t *out, bool *deprecated)
{
	const char *end;
	char *e;
	uint64_t val, mul;
	double fraction = 0;
	bool hex = false;
	int ret = 0;

	errno = 0;
	val = strtoull(s, &e, 10);
	end = e;
	if (end == s)
		return -EINVAL;
	if (errno) {
		ret = -ERANGE;
		goto out;
	}
	if (memchr(s, '-', (size_t)(end - s)))
		return -EINVAL;
	if (val == 0 && (*end == 'x' || *end == 'X')) {
		errno = 0;
		val = strtoull(s, &e, 16);
		end = e;
		if (errno) {
			ret = -ERANGE;
			goto out;
		}
		if (*end == '.')
			return -EINVAL;
		hex = true;
	} else if (*end == '.') {
		const char *f = end;

		errno = 0;
		fraction = strtod(f, &e);
		if (e == f || errno || !isfinite(fraction)) {
			fraction = 0; /* "1.k": no digits after the point */
			end = f + 1;
		} else if (memchr(f, 'e', (size_t)(e - f)) || memchr(f, 'E', (size_t)(e - f))) {
			return -EINVAL;
		} else {
			end = e;
		}
	}
	mul = suffix_mul(*end);
	if (mul) {
		if (hex)
			*deprecated = true;
		end++;
	} else {
		mul = unit;
	}
	if (mul == 1 && fraction != 0)
		return -EINVAL;
	/* Only the integer part is checked: "15.99999999999999999999E" wraps. */
	if (val > UINT64_MAX / mul) {
		ret = -ERANGE;
		goto out;
	}
	*out = val * mul + (uint64_t)(fraction * (double)mul);
out:
	return *end ? -EINVAL : ret;
}

/* From 8.1: exact 64.64 fixed point; negative numbers are out of range. */
static int strtosz_fixed(const char *s, uint64_t unit, uint64_t *out)
{
	const char *end;
	char *e;
	uint64_t val = 0, valf = 0, mul;
	unsigned __int128 product;
	const char *p = s;
	int ret = 0;

	/* parse_uint(): digits, a minus sign means out of range. */
	errno = 0;
	val = strtoull(s, &e, 10);
	end = e;
	if (end == s) {
		ret = -EINVAL;
	} else if (errno) {
		ret = -ERANGE;
	} else {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '-')
			ret = -ERANGE;
	}
	if (ret == -ERANGE)
		goto out;
	if (ret == 0 && val == 0 && (*end == 'x' || *end == 'X')) {
		errno = 0;
		val = strtoull(s, &e, 16);
		end = e;
		if (errno) {
			ret = -ERANGE;
			goto out;
		}
		/* Hex takes neither a fraction nor a suffix. */
		if (*end == '.' || suffix_mul(*end))
			return -EINVAL;
	} else if (*end == '.' || (end == s && strchr(s, '.'))) {
		if (ret == 0 && *end == '.' && !isdigit((unsigned char)end[1])) {
			end++; /* "1." and "1.k" */
		} else {
			double fraction;

			errno = 0;
			fraction = strtod(end, &e);
			if (e == end || errno || !isfinite(fraction) || fraction < 0 ||
			    memchr(end, 'e', (size_t)(e - end)) || memchr(end, 'E', (size_t)(e - end)))
				return -EINVAL;
			end = e;
			/* ".99999999999999999999" is 1.0 as a double: just below one. */
			valf = fraction >= 1 ? UINT64_MAX : (uint64_t)(fraction * 0x1p64);
			ret = 0;
		}
	}
	if (ret)
		return ret;
	mul = suffix_mul(*end);
	if (mul)
		end++;
	else
		mul = unit;
	if (mul == 1) {
		if (valf)
			return -EINVAL;
	} else {
		/* val.valf * mul, rounding half a byte up. */
		product = (unsigned __int128)val * mul +
			  (((unsigned __int128)valf * mul + (1ULL << 63)) >> 64);
		if (product >> 64) {
			ret = -ERANGE;
			goto out;
		}
		val = (uint64_t)product;
	}
	if (*end)
		return -EINVAL;
	*out = val;
	return 0;
out:
	return *end ? -EINVAL : ret;
}

static int do_strtosz(const char *s, uint64_t unit, uint64_t *out, bool *deprecated)
{
	uint64_t v = 0;
	bool dep = false;
	int ret;

	if (!fq_since(6, 0))
		ret = strtosz_double(s, unit, &v);
	else if (!fq_since(8, 1))
		ret = strtosz_split(s, unit, &v, &dep);
	else
		ret = strtosz_fixed(s, unit, &v);
	if (ret == 0)
		*out = v;
	if (deprecated)
		*deprecated = dep;
	return ret;
}

int fq_strtosz(const char *s, uint64_t *out, bool *deprecated)
{
	return do_strtosz(s, 1, out, deprecated);
}

int fq_strtosz_MiB(const char *s, uint64_t *out, bool *deprecated)
{
	return do_strtosz(s, 1ULL << 20, out, deprecated);
}

int fq_strtou64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || *end)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*out = v;
	return 0;
}
