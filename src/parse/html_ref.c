/* SPDX-License-Identifier: MIT */
/* Character references decoded as libxml2 decodes them, with the names feeds use most known
 * without asking libxml2. */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "html_impl.h"

/* The code point of the named references feeds use most (htmlEntityLookup() walks its table
 * with a string compare per entry; names are case-sensitive there too), or 0. */
static unsigned long common_entity(const char *name, size_t k)
{
	switch (k) {
	case 2:
		return name[1] != 't' ? 0 : name[0] == 'l' ? '<' : name[0] == 'g' ? '>' : 0;
	case 3:
		return memcmp(name, "amp", 3) == 0 ? '&' : 0;
	case 4:
		if (memcmp(name, "quot", 4) == 0)
			return '"';
		if (memcmp(name, "nbsp", 4) == 0)
			return 0xa0;
		return memcmp(name, "apos", 4) == 0 ? '\'' : 0;
	default:
		return 0;
	}
}

/* libxml2's answers for other names, remembered per thread: its lookup costs thousands of
 * instructions for a name late in its table (hellip, rsquo, mdash), and an item uses the same
 * few names again and again. cp 0: libxml2 knows no such name. */
#define ENT_CACHE 64
#define ENT_NAME_MAX 12
static __thread struct ent_slot {
	char name[ENT_NAME_MAX];
	size_t len;
	unsigned long cp;
} ent_cache[ENT_CACHE];

/* The code point of the named reference name[0..k) (NUL-terminated), or 0 for none. */
static unsigned long entity_cp(const char *name, size_t k)
{
	unsigned long cp = common_entity(name, k);
	const htmlEntityDesc *ent;
	struct ent_slot *e;
	uint32_t h = 2166136261u;
	size_t i;

	if (cp)
		return cp;
	if (k >= ENT_NAME_MAX) {
		ent = htmlEntityLookup((const xmlChar *)name);
		return ent ? ent->value : 0;
	}
	for (i = 0; i < k; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	e = &ent_cache[h % ENT_CACHE];
	if (e->len == k && memcmp(e->name, name, k) == 0)
		return e->cp;
	ent = htmlEntityLookup((const xmlChar *)name);
	memcpy(e->name, name, k);
	e->len = k;
	e->cp = ent ? ent->value : 0;
	return e->cp;
}

/* Decodes the character reference at s[0] == '&' as libxml2 does: a named one needs its ';', a
 * numeric one does not, and one that is no XML character is dropped. Returns how many bytes it
 * took and sets d, *dlen to its UTF-8 (maybe empty), or returns 0 for a plain '&'. */
size_t html_ref_decode(const char *s, size_t n, char *d, size_t *dlen)
{
	unsigned long cp = 0;
	char name[32];
	size_t i = 1, k;
	int hex = 0;

	*dlen = 0;
	if (i < n && s[i] == '#') {
		i++;
		if (i < n && (s[i] | 0x20) == 'x') {
			hex = 1;
			i++;
		}
		for (k = i; i < n; i++) {
			unsigned char b = (unsigned char)s[i];
			unsigned v;

			if (b >= '0' && b <= '9')
				v = b - '0';
			else if (hex && (b | 0x20) >= 'a' && (b | 0x20) <= 'f')
				v = (b | 0x20) - 'a' + 10;
			else
				break;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + v;
		}
		if (i == k)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		if (cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
		    (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff))
			*dlen = utf8_put(d, cp);
		return i;
	}
	for (k = 0; i < n && is_alnum((unsigned char)s[i]) && k < sizeof(name) - 1; i++)
		name[k++] = s[i];
	name[k] = '\0';
	if (k == 0 || i >= n || s[i] != ';')
		return 0;
	if ((cp = entity_cp(name, k)) == 0)
		return 0;
	*dlen = utf8_put(d, cp);
	return i + 1;
}
