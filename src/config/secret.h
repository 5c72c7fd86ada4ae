/* SPDX-License-Identifier: MIT */
/* Secrets the configuration names: password files and systemd credentials, read with checks on
 * their owner and mode, and never shown. */
#ifndef FEEDSPOOL_SECRET_H
#define FEEDSPOOL_SECRET_H

#include <stddef.h>

/* The largest secret read, bytes. */
#define SECRET_MAX 4096

/* Reads the secret in path (symbolic links followed). Refused unless it is a regular file owned
 * by the effective user or by root (any owner when that user is root), that others may not
 * touch at all and its group may at most read: 0600, 0640, 0400 or 0440. One trailing newline
 * ("\n" or "\r\n") is removed; an empty secret, one longer than SECRET_MAX or holding a NUL or a
 * line break is refused. 0 with *out set (free with secret_free), or a negative errno code with
 * the reason ("PATH: mode 0644 ...") in why. */
int secret_read_file(const char *path, char **out, char *why, size_t n);
/* The systemd credential name ($CREDENTIALS_DIRECTORY/name, LoadCredential= in the unit), with
 * the same checks. name is a file name: no '/', not "." or "..". */
int secret_read_credential(const char *name, char **out, char *why, size_t n);
/* Clears and frees a secret (NULL is fine). */
void secret_free(char *s);

#endif
