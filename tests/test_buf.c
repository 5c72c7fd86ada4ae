/* SPDX-License-Identifier: MIT */
/* Growable buffers (src/core/buf.c). */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"

int main(void)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t cap0;
	int i;

	CHECK_STR(buf_cstr(&b), "", "an empty buffer reads as \"\"");
	for (i = 0; i < 1000; i++)
		buf_putc(&b, 'x');
	CHECK(b.len == 1000 && b.data[1000] == '\0', "1000 bytes, NUL-terminated (%zu)", b.len);
	buf_reset(&b);
	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(buf_cstr(&b), "42-x", "buf_printf");
	buf_reset(&b);
	buf_put_utf8(&b, 0xE9);
	buf_put_utf8(&b, 0x20AC);
	buf_put_utf8(&b, 0x1F600);
	buf_put_utf8(&b, 0xD800);
	CHECK_STR(buf_cstr(&b), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd",
		  "UTF-8 encoding; a surrogate becomes U+FFFD");
	buf_reset(&b);
	buf_puts(&b, "text \n\t ");
	buf_rtrim(&b);
	CHECK_STR(buf_cstr(&b), "text", "buf_rtrim");
	s = buf_steal(&b);
	CHECK_STR(s, "text", "buf_steal hands over the data");
	CHECK(b.data == NULL && b.len == 0, "and leaves the buffer empty");
	free(s);
	s = buf_steal(&b);
	CHECK_STR(s, "", "stealing an empty buffer gives \"\"");
	free(s);
	/* the inline fast path and the growing path meet at cap: fill to the last byte, then past */
	buf_append(&b, "", 0);
	CHECK(b.data != NULL && b.len == 0 && b.data[0] == '\0', "an empty append allocates");
	cap0 = b.cap;
	while (b.len + 2 < b.cap)
		buf_putc(&b, 'a');
	buf_append(&b, "b", 1);
	CHECK(b.len + 1 == b.cap && b.data[b.len] == '\0', "filled to the last byte (%zu/%zu)",
	      b.len, b.cap);
	buf_append(&b, "cd", 2);
	buf_putc(&b, 'e');
	CHECK(b.len + 1 < b.cap && b.data[b.len] == '\0', "then grown (%zu/%zu)", b.len, b.cap);
	CHECK(b.len == cap0 + 2 && memcmp(b.data + cap0 - 2, "bcde", 4) == 0 &&
		  b.data[cap0 - 3] == 'a',
	      "and nothing lost at the boundary (%zu, first capacity %zu)", b.len, cap0);
	buf_fini(&b);
	CHECK(buf_reserve(&b, 1000) == 0 && b.cap >= 1001 && b.len == 0 && b.data[0] == '\0',
	      "buf_reserve allocates room for 1000 bytes and the NUL (%zu)", b.cap);
	s = b.data;
	for (i = 0; i < 1000; i++)
		buf_putc(&b, 'r');
	CHECK(b.data == s && b.len == 1000 && b.data[1000] == '\0',
	      "and filling it moves nothing (%zu/%zu)", b.len, b.cap);
	CHECK(buf_reserve(&b, 0) == 0 && b.data == s, "reserving what is there is a no-op");
	CHECK(buf_reserve(&b, (size_t)-1) == -ENOMEM && b.len == 1000,
	      "an impossible reservation fails and keeps the data");
	buf_fini(&b);
	buf_fini(&b);
	buf_fini(&b);
	return check_exit();
}
