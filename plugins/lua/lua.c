/* SPDX-License-Identifier: MIT */
/* The lua filter plugin: judges articles with a sandboxed, budgeted Lua 5.4 script. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <feedspool/plugin.h>

#include "../options.h"

#define HOOK_GRAIN 1000	  /* instructions between two looks at the budget */
#define ERRORS_PER_SEC 20 /* script messages logged per second before we drop some */
#define WARN_MAX 512	  /* a Lua warning is cut at this length */

/* A member of a host struct exists only if the host's struct is big enough to hold it. */
#define HAS(p, type, m) ((p)->size >= offsetof(type, m) + sizeof((p)->m))
#define ART(a, m, dflt) (HAS(a, struct feedspool_article, m) ? (a)->m : (dflt))

/* One instance: a Lua state of its own and its limits. */
struct luaf {
	const struct feedspool_host *host;
	lua_State *L;
	char *script; /* the resolved path, for messages */
	size_t mem_used, mem_limit;
	int64_t budget, remaining;
	int grain;
	bool exhausted;
	int filter_ref;
	time_t noisy_window;
	unsigned noisy_count, noisy_dropped;
	char warn[WARN_MAX];
	size_t warn_len;
};

/* What a script answered, checked, pointing at strings the Lua stack keeps alive. */
struct answer_topic {
	const char *name;
	double score;
	const char **matched;
	size_t n_matched;
};

struct answer {
	enum feedspool_verdict verdict;
	struct answer_topic *topics;
	size_t n_topics;
	const char **tags;
	size_t n_tags;
};

static struct luaf *instance(lua_State *L)
{
	return *(struct luaf **)lua_getextraspace(L);
}

/* Logs a message caused by the script, at most ERRORS_PER_SEC a second. */
static void noisy_log(struct luaf *lf, enum feedspool_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void noisy_log(struct luaf *lf, enum feedspool_log_level level, const char *fmt, ...)
{
	struct timespec ts;
	char msg[1024];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != lf->noisy_window) {
		if (lf->noisy_dropped)
			lf->host->log(lf->host, FEEDSPOOL_LOG_WARNING,
				      "%u messages from %s suppressed", lf->noisy_dropped,
				      lf->script);
		lf->noisy_window = ts.tv_sec;
		lf->noisy_count = 0;
		lf->noisy_dropped = 0;
	}
	if (lf->noisy_count >= ERRORS_PER_SEC) {
		lf->noisy_dropped++;
		return;
	}
	lf->noisy_count++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lf->host->log(lf->host, level, "%s", msg);
}

/* Limits */

/* Counts every byte Lua holds and refuses to grow past the limit: Lua then raises a memory
 * error, which the call turns into ERROR, and the state stays usable. */
static void *on_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct luaf *lf = ud;
	void *p;

	if (!ptr)
		osize = 0; /* osize is then the kind of object */
	if (nsize == 0) {
		free(ptr);
		lf->mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && nsize - osize > lf->mem_limit - lf->mem_used)
		return NULL;
	p = realloc(ptr, nsize);
	if (!p)
		return nsize <= osize ? ptr : NULL; /* Lua assumes shrinking never fails */
	lf->mem_used = lf->mem_used - osize + nsize;
	return p;
}

/* Raises the error, located at the function `level` up (0 in a hook, 1 in a C function). */
static void budget_exhausted(lua_State *L, struct luaf *lf, int level)
{
	lf->exhausted = true;
	/* from now on every instruction fails, so that no pcall in the script can go on */
	lua_sethook(L, lua_gethook(L), LUA_MASKCOUNT, 1);
	luaL_where(L, level);
	lua_pushliteral(L, "instruction budget exhausted");
	lua_concat(L, 2);
	lua_error(L);
}

static void on_hook(lua_State *L, lua_Debug *ar)
{
	struct luaf *lf = instance(L);

	lf->remaining -= lf->grain;
	if (lf->remaining <= 0)
		budget_exhausted(L, lf, 0);
}

/* Charges work done in C for the script (string.rep, table.move) to its budget. */
static void charge(lua_State *L, lua_Unsigned n)
{
	struct luaf *lf = instance(L);

	if (lf->remaining <= 0 || n >= (lua_Unsigned)lf->remaining)
		budget_exhausted(L, lf, 1);
	lf->remaining -= (int64_t)n;
}

/* Gives the coming call a full budget. */
static void arm(struct luaf *lf)
{
	lf->remaining = lf->budget;
	lf->exhausted = false;
	lf->grain = lf->budget < HOOK_GRAIN ? (int)lf->budget : HOOK_GRAIN;
	lua_sethook(lf->L, on_hook, LUA_MASKCOUNT, lf->grain);
}

/* The sandbox */

static int sandbox_print(lua_State *L)
{
	int i, n = lua_gettop(L);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	noisy_log(instance(L), FEEDSPOOL_LOG_INFO, "print: %s", lua_tostring(L, -1));
	return 0;
}

/* load() for text chunks only: a crafted binary chunk can crash the interpreter. */
static int sandbox_load(lua_State *L)
{
	int n = lua_gettop(L);

	lua_settop(L, 4);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	if (n >= 4)
		lua_pushvalue(L, 4); /* an explicit nil env differs from none */
	lua_call(L, n >= 4 ? 4 : 3, LUA_MULTRET);
	return lua_gettop(L) - 4;
}

static int sandbox_collectgarbage(lua_State *L)
{
	if (strcmp(luaL_optstring(L, 1, "collect"), "count") != 0)
		return luaL_error(L, "collectgarbage: only \"count\" is allowed");
	lua_pushnumber(L, (lua_Number)instance(L)->mem_used / 1024);
	return 1;
}

/* A finalizer would run with hooks off, out of reach of the budget: refuse __gc. */
static int sandbox_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: __gc metamethods are not allowed");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* string.rep, charged per copy; string.rep("", 1e15) would otherwise spin in C. */
static int sandbox_rep(lua_State *L)
{
	size_t l, lsep;
	lua_Integer n;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	if (l + lsep < l || l + lsep > instance(L)->mem_limit / (lua_Unsigned)n)
		return luaL_error(L, "resulting string too large");
	charge(L, (lua_Unsigned)n / 16 + 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* table.move, charged per element moved. */
static int sandbox_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

	if (e >= f)
		charge(L, (lua_Unsigned)e - (lua_Unsigned)f + 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Replaces table[name] by f, with the original as its upvalue. */
static void wrap(lua_State *L, int table, const char *name, lua_CFunction f)
{
	table = lua_absindex(L, table);
	lua_getfield(L, table, name);
	lua_pushcclosure(L, f, 1);
	lua_setfield(L, table, name);
}

static void open_sandbox(lua_State *L)
{
	static const char *const os_keep[] = {"time", "date", "clock"};
	static const char *const base_drop[] = {"dofile", "loadfile", "warn", "require"};
	size_t i;

	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	lua_pop(L, 4);
	/* the base library stays at index 1 */
	for (i = 0; i < sizeof(base_drop) / sizeof(*base_drop); i++) {
		lua_pushnil(L);
		lua_setfield(L, 1, base_drop[i]);
	}
	wrap(L, 1, "load", sandbox_load);
	wrap(L, 1, "collectgarbage", sandbox_collectgarbage);
	wrap(L, 1, "setmetatable", sandbox_setmetatable);
	lua_pushcfunction(L, sandbox_print);
	lua_setfield(L, 1, "print");

	lua_getglobal(L, LUA_STRLIBNAME);
	wrap(L, -1, "rep", sandbox_rep);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_getglobal(L, LUA_TABLIBNAME);
	wrap(L, -1, "move", sandbox_move);
	lua_pop(L, 2);

	/* os: only the clock; the full library stays out of reach */
	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
	lua_createtable(L, 0, 3);
	for (i = 0; i < sizeof(os_keep) / sizeof(*os_keep); i++) {
		lua_getfield(L, -2, os_keep[i]);
		lua_setfield(L, -2, os_keep[i]);
	}
	lua_setglobal(L, LUA_OSLIBNAME);
	lua_pop(L, 1);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	lua_setfield(L, -2, LUA_OSLIBNAME);
	lua_pop(L, 2);
}

/* The article, read-only */

static int ro_newindex(lua_State *L)
{
	return luaL_error(L, "the article is read-only");
}

/* The data table behind a read-only proxy: its metatable's __index. */
static void ro_data(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	if (!lua_getmetatable(L, 1))
		luaL_error(L, "not a read-only table");
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);
}

static int ro_len(lua_State *L)
{
	ro_data(L);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
	return 1;
}

/* next() that a script cannot redefine. */
static int ro_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int ro_pairs(lua_State *L)
{
	ro_data(L);
	lua_pushcfunction(L, ro_next);
	lua_insert(L, -2);
	lua_pushnil(L);
	return 3;
}

/* Replaces the table on top of the stack by a read-only proxy of it. */
static void make_readonly(lua_State *L)
{
	lua_newtable(L);	  /* data proxy */
	lua_createtable(L, 0, 5); /* data proxy mt */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, ro_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, ro_len);
	lua_setfield(L, -2, "__len");
	lua_pushcfunction(L, ro_pairs);
	lua_setfield(L, -2, "__pairs");
	lua_pushliteral(L, "read-only");
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
}

static void set_string(lua_State *L, const char *key, const char *value)
{
	if (!value)
		return;
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

static void set_date(lua_State *L, const char *key, int64_t t)
{
	if (t == INT64_MIN)
		return;
	lua_pushinteger(L, (lua_Integer)t);
	lua_setfield(L, -2, key);
}

/* A read-only list of strings. */
static void push_strings(lua_State *L, const char *const *v, size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; v && i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	make_readonly(L);
}

static void push_persons(lua_State *L, const struct feedspool_person *v, size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; v && i < n; i++) {
		lua_createtable(L, 0, 3);
		set_string(L, "name", v[i].name);
		set_string(L, "email", v[i].email);
		set_string(L, "uri", v[i].uri);
		make_readonly(L);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	make_readonly(L);
}

/* The spool's feed object (ABI 1.1). */
static void push_feed(lua_State *L, const struct feedspool_feed *f)
{
	lua_createtable(L, 0, 8);
	set_string(L, "name", f->name);
	set_string(L, "url", f->url);
	set_string(L, "title", f->title);
	set_string(L, "link", f->link);
	set_string(L, "language", f->language);
	set_string(L, "subtitle", f->subtitle);
	set_date(L, "updated", f->updated);
	push_persons(L, f->authors, f->n_authors);
	lua_setfield(L, -2, "authors");
	make_readonly(L);
}

/* The links, each with its text (texts: parallel to v, NULL on a host without them). */
static void push_links(lua_State *L, const struct feedspool_link *v, const char *const *texts,
		       size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; v && i < n; i++) {
		lua_createtable(L, 0, 5);
		set_string(L, "url", v[i].url);
		set_string(L, "rel", v[i].rel);
		set_string(L, "type", v[i].type);
		set_string(L, "title", v[i].title);
		set_string(L, "text", texts ? texts[i] : NULL);
		make_readonly(L);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	make_readonly(L);
}

static void push_enclosures(lua_State *L, const struct feedspool_enclosure *v, size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; v && i < n; i++) {
		lua_createtable(L, 0, 3);
		set_string(L, "url", v[i].url);
		set_string(L, "type", v[i].type);
		if (v[i].length >= 0) {
			lua_pushinteger(L, (lua_Integer)v[i].length);
			lua_setfield(L, -2, "length");
		}
		make_readonly(L);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	make_readonly(L);
}

static void push_images(lua_State *L, const struct feedspool_image *v, size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; v && i < n; i++) {
		lua_createtable(L, 0, 2);
		set_string(L, "src", v[i].src);
		set_string(L, "alt", v[i].alt);
		make_readonly(L);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	make_readonly(L);
}

/* The topics earlier filters added (ABI 1.1), shaped like the topics a script returns. */
static void push_topics(lua_State *L, const struct feedspool_topic *v, size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; v && i < n; i++) {
		lua_createtable(L, 0, 3);
		set_string(L, "name", v[i].name);
		lua_pushnumber(L, (lua_Number)v[i].score);
		lua_setfield(L, -2, "score");
		push_strings(L, v[i].matched, v[i].n_matched);
		lua_setfield(L, -2, "matched");
		make_readonly(L);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	make_readonly(L);
}

static void push_article(lua_State *L, const struct feedspool_article *a)
{
	const char *const *cats = ART(a, categories, NULL);
	const struct feedspool_person *au = ART(a, authors, NULL);
	const struct feedspool_enclosure *enc = ART(a, enclosures, NULL);
	const struct feedspool_feed *feed = ART(a, feed, NULL);

	lua_createtable(L, 0, 26);
	set_string(L, "id", ART(a, id, NULL));
	set_string(L, "title", ART(a, title, NULL));
	set_string(L, "standfirst", ART(a, standfirst, NULL));
	set_string(L, "summary", ART(a, summary, NULL));
	set_string(L, "body", ART(a, body, NULL));
	set_string(L, "url", ART(a, url, NULL));
	set_string(L, "guid", ART(a, guid, NULL));
	set_string(L, "language", ART(a, language, NULL));
	set_string(L, "feed_name", ART(a, feed_name, NULL));
	set_string(L, "feed_url", ART(a, feed_url, NULL));
	set_string(L, "feed_title", ART(a, feed_title, NULL));
	set_date(L, "published", ART(a, published, INT64_MIN));
	set_date(L, "updated", ART(a, updated, INT64_MIN));
	set_date(L, "fetched", ART(a, fetched, INT64_MIN));
	push_strings(L, cats, cats ? ART(a, n_categories, 0) : 0);
	lua_setfield(L, -2, "categories");
	push_persons(L, au, au ? ART(a, n_authors, 0) : 0);
	lua_setfield(L, -2, "authors");
	push_enclosures(L, enc, enc ? ART(a, n_enclosures, 0) : 0);
	lua_setfield(L, -2, "enclosures");
	/* ABI 1.1; on an older host the lists are empty, revision is 0 and content_html and the
	 * links' text are nil */
	lua_pushinteger(L, (lua_Integer)ART(a, revision, 0));
	lua_setfield(L, -2, "revision");
	if (feed && feed->size >= offsetof(struct feedspool_feed, n_authors) + sizeof(size_t)) {
		push_feed(L, feed);
		lua_setfield(L, -2, "feed");
	}
	push_links(L, ART(a, links, NULL), ART(a, link_texts, NULL), ART(a, n_links, 0));
	lua_setfield(L, -2, "links");
	push_topics(L, ART(a, topics, NULL), ART(a, n_topics, 0));
	lua_setfield(L, -2, "topics");
	push_strings(L, ART(a, tags, NULL), ART(a, n_tags, 0));
	lua_setfield(L, -2, "tags");
	set_string(L, "content_html", ART(a, content_html, NULL));
	push_images(L, ART(a, images, NULL), ART(a, n_images, 0));
	lua_setfield(L, -2, "images");
	make_readonly(L);
}

/* Calling the script */

/* Raw field access: checking the answer must not run any of the script's metamethods. */
static int raw_field(lua_State *L, int t, const char *key)
{
	lua_pushstring(L, key);
	return lua_rawget(L, t < 0 ? t - 1 : t);
}

/* Checks a list of strings at index idx (nil is an empty list); returns its length. */
static size_t check_strings(lua_State *L, int idx, const char *what)
{
	size_t i, n;

	if (lua_isnil(L, idx))
		return 0;
	if (!lua_istable(L, idx))
		luaL_error(L, "%s is a %s, not a table of strings", what, luaL_typename(L, idx));
	n = lua_rawlen(L, idx);
	for (i = 1; i <= n; i++) {
		if (lua_rawgeti(L, idx, (lua_Integer)i) != LUA_TSTRING)
			luaL_error(L, "%s[%I] is not a string", what, (lua_Integer)i);
		lua_pop(L, 1);
	}
	return n;
}

/* Calls filter(article) and checks its answer: verdict, topics, tags. Returns the answer
 * (userdata) and the topics and tags tables that keep its strings alive. */
static int run_filter(lua_State *L)
{
	const struct feedspool_article *a = lua_touserdata(L, 1);
	struct luaf *lf = instance(L);
	size_t n_topics, n_matched = 0, n_tags, i, j, k = 0;
	struct answer *ans;
	const char *v;
	const char **strs;

	lua_settop(L, 0);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lf->filter_ref);
	push_article(L, a);
	lua_call(L, 1, 3);
	v = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
	if (!v || (strcmp(v, "keep") != 0 && strcmp(v, "drop") != 0))
		return luaL_error(L, "the verdict is %s%s%s, not \"keep\" or \"drop\"",
				  v ? "\"" : "a ", v ? v : luaL_typename(L, 1), v ? "\"" : "");
	if (!lua_isnil(L, 2) && !lua_istable(L, 2))
		return luaL_error(L, "topics (2nd result) is a %s, not a table",
				  luaL_typename(L, 2));
	n_topics = lua_isnil(L, 2) ? 0 : lua_rawlen(L, 2);
	for (i = 1; i <= n_topics; i++) {
		if (lua_rawgeti(L, 2, (lua_Integer)i) != LUA_TTABLE)
			return luaL_error(L, "topics[%I] is not a table", (lua_Integer)i);
		if (raw_field(L, -1, "name") != LUA_TSTRING)
			return luaL_error(L, "topics[%I].name is not a string", (lua_Integer)i);
		if (raw_field(L, -2, "score") != LUA_TNIL && lua_type(L, -1) != LUA_TNUMBER)
			return luaL_error(L, "topics[%I].score is not a number", (lua_Integer)i);
		raw_field(L, -3, "matched");
		n_matched += check_strings(L, -1, "topics[].matched");
		lua_pop(L, 4);
	}
	n_tags = check_strings(L, 3, "tags (3rd result)");

	ans = lua_newuserdatauv(L,
				sizeof(*ans) + n_topics * sizeof(*ans->topics) +
				    (n_matched + n_tags) * sizeof(char *),
				0);
	ans->verdict = v[0] == 'k' ? FEEDSPOOL_KEEP : FEEDSPOOL_DROP;
	ans->topics = (struct answer_topic *)(ans + 1);
	ans->n_topics = n_topics;
	strs = (const char **)(ans->topics + n_topics);
	for (i = 0; i < n_topics; i++) {
		struct answer_topic *t = &ans->topics[i];

		lua_rawgeti(L, 2, (lua_Integer)i + 1);
		raw_field(L, -1, "name");
		t->name = lua_tostring(L, -1);
		raw_field(L, -2, "score");
		t->score = lua_isnil(L, -1) ? 1.0 : (double)lua_tonumber(L, -1);
		raw_field(L, -3, "matched");
		t->matched = strs + k;
		t->n_matched = lua_isnil(L, -1) ? 0 : lua_rawlen(L, -1);
		for (j = 1; j <= t->n_matched; j++) {
			lua_rawgeti(L, -1, (lua_Integer)j);
			strs[k++] = lua_tostring(L, -1);
			lua_pop(L, 1);
		}
		lua_pop(L, 4);
	}
	ans->tags = strs + k;
	ans->n_tags = n_tags;
	for (i = 0; i < n_tags; i++) {
		lua_rawgeti(L, 3, (lua_Integer)i + 1);
		ans->tags[i] = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	lua_replace(L, 1);
	return 3;
}

static int run_gc(lua_State *L)
{
	lua_gc(L, LUA_GCCOLLECT, 0);
	return 0;
}

/* Logs why a protected call failed; the error object is on top of the stack. */
static void log_failure(struct luaf *lf, int status, const char *when)
{
	lua_State *L = lf->L;
	const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;

	if (status == LUA_ERRMEM)
		noisy_log(lf, FEEDSPOOL_LOG_WARNING,
			  "%s: memory limit exhausted (memory = %zu bytes)", when, lf->mem_limit);
	else if (lf->exhausted)
		noisy_log(lf, FEEDSPOOL_LOG_WARNING, "%s: %s (budget = %lld instructions)", when,
			  msg && strstr(msg, "instruction budget exhausted")
			      ? msg
			      : "instruction budget exhausted",
			  (long long)lf->budget);
	else if (msg)
		noisy_log(lf, FEEDSPOOL_LOG_WARNING, "%s: %s", when, msg);
	else
		noisy_log(lf, FEEDSPOOL_LOG_WARNING, "%s: %s: the error object is a %s value", when,
			  lf->script, luaL_typename(L, -1));
}

static enum feedspool_verdict luaf_filter(void *state, const struct feedspool_article *article,
					  struct feedspool_call *call)
{
	struct luaf *lf = state;
	lua_State *L = lf->L;
	const struct answer *ans;
	enum feedspool_verdict verdict;
	size_t i;
	int status;

	lua_settop(L, 0);
	lua_pushcfunction(L, run_filter);
	lua_pushlightuserdata(L, (void *)article);
	arm(lf);
	status = lua_pcall(L, 1, 3, 0);
	if (status != LUA_OK) {
		log_failure(lf, status, "filter()");
		lua_settop(L, 0);
		/* free what the failed call left, so that the next one has room */
		if (status == LUA_ERRMEM) {
			lua_pushcfunction(L, run_gc);
			arm(lf);
			lua_pcall(L, 0, 0, 0);
			lua_settop(L, 0);
		}
		return FEEDSPOOL_ERROR;
	}
	/* no Lua runs from here: the strings stay where they are */
	ans = lua_touserdata(L, 1);
	for (i = 0; i < ans->n_topics; i++) {
		const struct answer_topic *t = &ans->topics[i];

		if (lf->host->annotate_topic(call, t->name, t->score, t->matched, t->n_matched) < 0)
			noisy_log(lf, FEEDSPOOL_LOG_WARNING, "could not add topic %s", t->name);
	}
	for (i = 0; i < ans->n_tags; i++) {
		if (lf->host->annotate_tag(call, ans->tags[i]) < 0)
			noisy_log(lf, FEEDSPOOL_LOG_WARNING, "could not add tag %s", ans->tags[i]);
	}
	verdict = ans->verdict;
	lua_settop(L, 0);
	return verdict;
}

/* Set-up */

/* Routes Lua's warnings (errors in metamethods run by the collector) to the log. */
static void on_warn(void *ud, const char *msg, int tocont)
{
	struct luaf *lf = ud;
	size_t n = strlen(msg);

	if (!lf->warn_len && !tocont && msg[0] == '@')
		return; /* a control message */
	if (n > sizeof(lf->warn) - 1 - lf->warn_len)
		n = sizeof(lf->warn) - 1 - lf->warn_len;
	memcpy(lf->warn + lf->warn_len, msg, n);
	lf->warn_len += n;
	if (tocont)
		return;
	lf->warn[lf->warn_len] = '\0';
	lf->warn_len = 0;
	noisy_log(lf, FEEDSPOOL_LOG_WARNING, "%s: Lua warning: %s", lf->script, lf->warn);
}

static int on_panic(lua_State *L)
{
	struct luaf *lf = instance(L);

	lf->host->log(lf->host, FEEDSPOOL_LOG_ERR, "%s: unprotected Lua error: %s", lf->script,
		      lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	return 0; /* Lua aborts */
}

/* Opens the sandbox, runs the script and finds its filter function. */
static int setup(lua_State *L)
{
	struct luaf *lf = instance(L);

	open_sandbox(L);
	if (luaL_loadfilex(L, lf->script, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	if (lua_getglobal(L, "filter") != LUA_TFUNCTION)
		return luaL_error(L, "%s: defines no function filter(article)", lf->script);
	lf->filter_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}


static int luaf_options(struct luaf *lf, const struct feedspool_option *opt, size_t n)
{
	const struct feedspool_host *host = lf->host;
	const char *script = NULL, *dir;
	unsigned long long ull;
	uint64_t v;
	char *end;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *k = opt[i].key, *val = opt[i].value ? opt[i].value : "";

		if (!strcmp(k, "script")) {
			script = val;
		} else if (!strcmp(k, "budget")) {
			errno = 0;
			ull = strtoull(val, &end, 10);
			if (!(*val >= '0' && *val <= '9') || *end || errno || ull < 1 ||
			    ull > INT64_MAX / 2) {
				host->log(host, FEEDSPOOL_LOG_ERR,
					  "budget = %s: expected a number of instructions", val);
				return -EINVAL;
			}
			lf->budget = (int64_t)ull;
		} else if (!strcmp(k, "memory")) {
			if (parse_size(val, &v) < 0 || v < (64u << 10) || v > SIZE_MAX / 2) {
				host->log(host, FEEDSPOOL_LOG_ERR,
					  "memory = %s: expected a size of at least 64k, like 16M",
					  val);
				return -EINVAL;
			}
			lf->mem_limit = (size_t)v;
		} else {
			host->log(host, FEEDSPOOL_LOG_ERR,
				  "unknown option %s (known: script, budget, memory)", k);
			return -EINVAL;
		}
	}
	if (!script || !*script) {
		host->log(host, FEEDSPOOL_LOG_ERR, "missing option: script = FILE");
		return -EINVAL;
	}
	dir = host->config_dir && *host->config_dir ? host->config_dir : ".";
	if (script[0] == '/') {
		lf->script = strdup(script);
	} else {
		lf->script = malloc(strlen(dir) + strlen(script) + 2);
		if (lf->script)
			sprintf(lf->script, "%s/%s", dir, script);
	}
	return lf->script ? 0 : -ENOMEM;
}

static void luaf_free(struct luaf *lf)
{
	if (!lf)
		return;
	if (lf->L) {
		/* __gc is refused, but __close and friends may run: give them a budget */
		arm(lf);
		lua_close(lf->L);
	}
	free(lf->script);
	free(lf);
}

static int luaf_init(const struct feedspool_host *host, const struct feedspool_option *options,
		     size_t n_options, void **state)
{
	struct luaf *lf;
	int r, status;

	lf = calloc(1, sizeof(*lf));
	if (!lf)
		return -ENOMEM;
	lf->host = host;
	lf->budget = 1000000;
	lf->mem_limit = 16u << 20;
	lf->filter_ref = LUA_NOREF;
	r = luaf_options(lf, options, n_options);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	lf->L = lua_newstate(on_alloc, lf);
	if (!lf->L) {
		host->log(host, FEEDSPOOL_LOG_ERR, "%s: cannot create a Lua state", lf->script);
		goto fail;
	}
	*(struct luaf **)lua_getextraspace(lf->L) = lf;
	lua_atpanic(lf->L, on_panic);
	lua_setwarnf(lf->L, on_warn, lf);
	lua_pushcfunction(lf->L, setup);
	arm(lf);
	status = lua_pcall(lf->L, 0, 0, 0);
	if (status != LUA_OK) {
		const char *msg =
		    lua_type(lf->L, -1) == LUA_TSTRING ? lua_tostring(lf->L, -1) : "?";

		if (status == LUA_ERRMEM)
			host->log(host, FEEDSPOOL_LOG_ERR,
				  "%s: memory limit of %zu bytes exhausted", lf->script,
				  lf->mem_limit);
		else if (lf->exhausted)
			host->log(host, FEEDSPOOL_LOG_ERR, "%s (budget = %lld instructions)",
				  strstr(msg, "instruction budget exhausted")
				      ? msg
				      : "instruction budget exhausted",
				  (long long)lf->budget);
		else
			host->log(host, FEEDSPOOL_LOG_ERR, "%s", msg);
		r = -EINVAL;
		goto fail;
	}
	lua_settop(lf->L, 0);
	*state = lf;
	return 0;
fail:
	luaf_free(lf);
	return r;
}

static void luaf_fini(void *state)
{
	luaf_free(state);
}

FEEDSPOOL_PLUGIN("lua", "1.0", "judges articles with a sandboxed Lua 5.4 script", luaf_init,
		 luaf_filter, luaf_fini);
