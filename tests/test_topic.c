/* SPDX-License-Identifier: MIT */
/* The topic filter (plugins/topic) loaded as the daemon loads it: the rules language and its
 * errors, Unicode-aware matching, explanations, and etc/feedspool/topics/dgx-spark.rules on the
 * seed feeds (exactly the DGX Spark articles kept) and on tests/fixtures/topic/labelled.jsonl
 * (precision and recall of at least 0.97, and per category: DGX Spark, partner-branded GB10
 * systems, passing mentions, Apache Spark and other look-alikes). */
#include "autoconfig.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"
#include "feed.h"
#include "plugin.h"

struct result {
	int calls;
	enum filter_outcome outcome;
	char reason[2048];
};

static char tmpdir[] = "/tmp/feedspool-test-topic.XXXXXX";

static const char *env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static void on_done(void *ud, enum filter_outcome outcome, const char *by, const char *reason)
{
	struct result *r = ud;

	r->calls++;
	r->outcome = outcome;
	snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
}

/* A chain of one topic filter with the given options ("key=value", NULL-terminated); NULL
 * with the configuration error in err. */
static struct filter_chain *topic_chain(struct buf *err, const char *const *kv)
{
	struct filter_option o[8];
	struct filter_conf fc = {0};
	struct config c = {0};
	char path[4200];
	size_t n = 0;
	struct filter_chain *ch;

	snprintf(path, sizeof path, "%s/feedspool.conf", tmpdir);
	for (; *kv && n < 8; kv++, n++) {
		const char *eq = strchr(*kv, '=');

		o[n].key = strndup(*kv, (size_t)(eq - *kv));
		o[n].value = strdup(eq + 1);
	}
	fc.name = "topics";
	fc.plugin = "topic";
	fc.options = o;
	fc.n_options = n;
	fc.file = "feedspool.conf";
	fc.line = 7;
	c.path = path;
	c.filters = &fc;
	c.n_filters = 1;
	buf_reset(err);
	ch = filter_chain_new(&c, NULL, err);
	while (n--) {
		free(o[n].key);
		free(o[n].value);
	}
	return ch;
}

static void write_file(const char *name, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Runs one article; returns its outcome and fills r. */
static enum filter_outcome judge(struct filter_chain *ch, struct article *a, struct result *r)
{
	memset(r, 0, sizeof *r);
	if (filter_chain_run(ch, a, NULL, on_done, r) < 0 || r->calls != 1)
		CHECK(0, "done once for '%s' (%d)", a->title, r->calls);
	return r->outcome;
}

static void mk(struct article *a, const char *title, const char *standfirst, const char *body)
{
	article_init(a);
	strcpy(a->id, "00000000000000aa");
	a->title = title ? strdup(title) : NULL;
	a->standfirst = standfirst ? strdup(standfirst) : NULL;
	a->body = body ? strdup(body) : NULL;
}

/* Keeps (1) or drops (0) an article with this title and body under chain ch. */
static int keeps(struct filter_chain *ch, const char *title, const char *body, struct result *r)
{
	struct article a;
	int kept;

	mk(&a, title, NULL, body);
	kept = judge(ch, &a, r) == FILTER_KEEP;
	article_fini(&a);
	return kept;
}

/* ---- the rules language --------------------------------------------------------------------- */

static void expect_error(const char *rules, const char *want)
{
	struct buf err = BUF_INIT;
	struct filter_chain *ch;

	write_file("bad.rules", rules);
	ch = topic_chain(&err, (const char *const[]){"rules=bad.rules", NULL});
	CHECK(ch == NULL, "rules '%s' must be refused", rules);
	CHECK(strstr(buf_cstr(&err), want) != NULL, "rules '%s': the error has '%s': got '%s'",
	      rules, want, buf_cstr(&err));
	filter_chain_free(ch);
	buf_fini(&err);
}

static void test_rule_errors(void)
{
	char want[4300];
	struct buf err = BUF_INIT;
	struct filter_chain *ch;

	snprintf(want, sizeof want, "feedspool.conf:7: filter topics: %s/bad.rules:3: ", tmpdir);
	expect_error("topic t\nphrase 1 a\nphrase x b\n", want);
	expect_error("topic t\nphrase 1 a\nphrase x b\n", "phrase weight: 'x' is not a number");
	expect_error("phrase 1 a\n", "bad.rules:1: 'phrase' outside a topic");
	expect_error("topic t\nfrobnicate 3\n", "bad.rules:2: unknown keyword 'frobnicate'");
	expect_error("topic t\nphrase 1 a\npattern 2 broken = (unclosed\n",
		     "bad.rules:3: pattern 'broken': missing closing parenthesis");
	expect_error("topic t\nphrase -1 a\n", "bad.rules:1: topic 't' has no phrase or pattern");
	expect_error("topic t\nphrase 1 a\ntopic t\nphrase 1 b\n",
		     "bad.rules:3: topic 't' is already defined");
	expect_error("topic t\nphrase 1 ---\n", "bad.rules:2: phrase '---' has no letter or digit");
	expect_error("topic t\nphrase 1 a\nfield summary 2\n", "bad.rules:3: field: unknown field");
	expect_error("topic t\nphrase 1 a\nthreshold 0\n",
		     "bad.rules:3: threshold: 0 must be above");
	expect_error("topic t\nphrase 1 a\nveto b unless\n", "bad.rules:3: veto: expected");
	expect_error("topic bad/name\n", "bad.rules:1: topic: 'bad/name' is not a topic name");
	expect_error("# nothing\n", "bad.rules: no topic defined");
	expect_error("topic t\nphrase 1 a\nrequire a | | b\n", "bad.rules:3: empty term");
	expect_error("topic t\nphrase 1 a\nsubject a\nabout colour 1\n",
		     "bad.rules:4: about: unknown 'colour'");
	expect_error("topic t\nphrase 1 a\nsubject a\nabout title 11\n",
		     "bad.rules:4: about title: weight 11 is out of range");
	expect_error("topic t\nphrase 1 a\nabout lead-paragraphs 0.5\n",
		     "bad.rules:3: about lead-paragraphs: 0.5 is out of range");
	expect_error("topic t\nphrase 1 a\nother b\n", "bad.rules:3: other: topic 't' has no subject");
	expect_error("topic t\nphrase 1 a\nsubject\n", "bad.rules:3: subject: expected");
	/* several errors are all reported, each with its line */
	expect_error("topic t\nphrase 1 a\ncap 0\nfield title -1\n",
		     "bad.rules:3: cap: 0 is not a whole number from 1 to 1000\n"
		     "feedspool.conf:7: filter topics: ");

	ch = topic_chain(&err, (const char *const[]){"rules=missing.rules", NULL});
	CHECK(!ch && strstr(buf_cstr(&err), "missing.rules: cannot read the rules: No such file"),
	      "a missing rules file: %s", buf_cstr(&err));
	ch = topic_chain(&err, (const char *const[]){NULL});
	CHECK(!ch && strstr(buf_cstr(&err), "option 'rules' is missing"), "no rules: %s",
	      buf_cstr(&err));
	write_file("ok.rules", "topic t\nphrase 1 a\n");
	ch = topic_chain(&err, (const char *const[]){"rules=ok.rules", "mode=loud", NULL});
	CHECK(!ch && strstr(buf_cstr(&err), "mode = loud: expected keep-matching or annotate"),
	      "a bad mode: %s", buf_cstr(&err));
	ch = topic_chain(&err, (const char *const[]){"rules=ok.rules", "colour=red", NULL});
	CHECK(!ch && strstr(buf_cstr(&err), "unknown option 'colour'"), "an unknown option: %s",
	      buf_cstr(&err));
	buf_fini(&err);
}

/* ---- matching ------------------------------------------------------------------------------- */

static void test_matching(void)
{
	struct buf err = BUF_INIT;
	struct filter_chain *ch;
	struct result r;
	struct article a;

	write_file("m.rules", "# words, variants, fields\n"
			      "topic gadget\n"
			      "threshold 3\n"
			      "field body 1\n"
			      "phrase 3 Widget Pro | WidgetPro-X\n"
			      "phrase 1 gizmo\n"
			      "phrase -3 toy\n"
			      "pattern 3 model number = \\bwp-?\\d{3}\\b\n"
			      "require Widget Pro | model number | gizmo\n"
			      "veto Widget Pro Toy | kids unless professional\n");
	ch = topic_chain(&err, (const char *const[]){"rules=m.rules", NULL});
	CHECK(ch != NULL, "m.rules loads: %s", buf_cstr(&err));
	if (!ch)
		return;
	CHECK(keeps(ch, NULL, "The Widget Pro is out.", &r), "a phrase: %s", r.reason);
	CHECK(keeps(ch, NULL, "The widget-pro is out.", &r), "hyphen for space, any case");
	CHECK(keeps(ch, NULL, "The #WidgetPro is out.", &r), "words run together");
	CHECK(keeps(ch, NULL, "The WIDGET\xC2\xADPRO is out.", &r), "a soft hyphen is ignored");
	CHECK(keeps(ch, NULL, "The \xEF\xBC\xB7idget \xEF\xBC\xB0ro is out.", &r),
	      "full-width letters (NFKC)");
	CHECK(keeps(ch, NULL,
		    "The W\xC3\xAF"
		    "dget Pr\xC3\xB3 is out.",
		    &r),
	      "accents are stripped");
	CHECK(keeps(ch, NULL, "Meet the widgetpro-x.", &r), "an alias");
	CHECK(!keeps(ch, NULL, "The Widget Professional is out.", &r),
	      "words match whole: 'pro' is not 'professional': %s", r.reason);
	CHECK(!keeps(ch, NULL, "A gizmo.", &r), "below the threshold");
	CHECK_STR(r.reason, "topics: gadget 1 < 3: gizmo +1 (body)", "why it was dropped");
	CHECK(keeps(ch, "A gizmo!", "A gizmo.", &r), "the title weighs 3 by default");
	CHECK_STR(r.reason, "topics: gadget 4 >= 3: gizmo +4 (title, body)", "why it was kept");
	CHECK(keeps(ch, NULL, "Part WP-300 ships.", &r), "a pattern: %s", r.reason);
	CHECK(!keeps(ch, NULL, "The Widget Pro, now for kids.", &r), "a veto");
	CHECK(strstr(r.reason, "gadget 3, vetoed by 'kids' (") != NULL, "the veto explains: %s",
	      r.reason);
	CHECK(keeps(ch, NULL, "The Widget Pro: not for kids, for professional use.", &r),
	      "unless lifts the veto: %s", r.reason);
	CHECK(!keeps(ch, NULL, "A toy toy toy.", &r), "no required term");
	CHECK(!keeps(ch, NULL, "Widget Pro and toy toy toy toy.", &r),
	      "negative weights, capped at 3");
	CHECK_STR(r.reason, "topics: gadget -6 < 3: toy -9 (body x3), Widget Pro +3 (body)",
		  "contributions, the biggest first");

	mk(&a, "Widget Pro and gizmo", NULL, "Widget Pro, Widget Pro, WidgetPro-X, gizmo.");
	CHECK(judge(ch, &a, &r) == FILTER_KEEP, "kept");
	CHECK(a.n_topics == 1 && !strcmp(a.topics[0].name, "gadget") && a.topics[0].score == 22 &&
		  a.topics[0].n_matched == 2 && !strcmp(a.topics[0].matched[0], "Widget Pro") &&
		  !strcmp(a.topics[0].matched[1], "gizmo"),
	      "the annotation: name, score and the matched phrases, biggest first: %s", r.reason);
	CHECK_STR(r.reason,
		  "topics: gadget 22 >= 3: Widget Pro +18 (title, body x3), gizmo +4 "
		  "(title, body)",
		  "two aliases at one place count once");
	article_fini(&a);
	filter_chain_free(ch);

	/* annotate mode keeps everything; several rules files, several topics */
	write_file("n.rules", "topic other\nphrase 1 gizmo\n");
	ch = topic_chain(
	    &err, (const char *const[]){"rules=m.rules", "rules=n.rules", "mode=annotate", NULL});
	CHECK(ch != NULL, "two rules files: %s", buf_cstr(&err));
	if (ch) {
		mk(&a, NULL, NULL, "A gizmo.");
		CHECK(judge(ch, &a, &r) == FILTER_KEEP, "annotate keeps a non-matching article");
		CHECK(a.n_topics == 1 && !strcmp(a.topics[0].name, "other"),
		      "the matching topic is annotated, not the other");
		CHECK_STR(r.reason,
			  "topics: gadget 1 < 3: gizmo +1 (body); other 1 >= 1: gizmo +1 "
			  "(body)",
			  "each topic explains itself");
		article_fini(&a);
		filter_chain_free(ch);
	}

	/* a runaway pattern hits the match limit: an error for that article, not a hang */
	write_file("slow.rules", "topic slow\npattern 1 runaway = ^(a|aa)+$\n");
	ch = topic_chain(&err, (const char *const[]){"rules=slow.rules", NULL});
	CHECK(ch != NULL, "slow.rules: %s", buf_cstr(&err));
	if (ch) {
		char body[200];
		struct filter_stats st;

		memset(body, 'a', sizeof body - 2);
		body[sizeof body - 2] = 'b';
		body[sizeof body - 1] = '\0';
		fflush(stderr);
		keeps(ch, NULL, body, &r);
		filter_chain_stats(ch, 0, &st);
		CHECK(st.errors == 1 && r.outcome == FILTER_KEEP,
		      "match limit: an error, kept (on_error = keep)");
		filter_chain_free(ch);
	}
	buf_fini(&err);
}

/* ---- aboutness ---------------------------------------------------------------------------- */

static void test_aboutness(void)
{
	struct buf err = BUF_INIT;
	struct filter_chain *ch;
	struct result r;

	write_file("a.rules", "topic gadget\n"
			      "threshold 3\n"
			      "phrase 3 Widget Pro\n"
			      "phrase 0 rival = Gizmo Max\n"
			      "subject Widget Pro\n"
			      "other Gizmo Max\n");
	ch = topic_chain(&err, (const char *const[]){"rules=a.rules", NULL});
	CHECK(ch != NULL, "a.rules loads: %s", buf_cstr(&err));
	if (!ch)
		return;
	CHECK(keeps(ch, "Widget Pro review", "It is good.\nIt is cheap.", &r),
	      "the subject in the title is enough: %s", r.reason);
	CHECK_STR(r.reason,
		  "topics: gadget 9 >= 3: Widget Pro +9 (title); about 0.50 >= 0.4 (title +0.50, "
		  "lead +0.00, share 0/2 +0.00, density 0.00/100 words +0.00, others 0/0 +0.00)",
		  "the aboutness and its parts explain the verdict");
	CHECK(!keeps(ch, "Ten gadgets of the year",
		     "One. Two.\nThree and four.\nFive, six.\nThe Widget Pro, seven.\nEight.\n"
		     "Nine.\nTen, and some more words to make this a longer article.",
		     &r),
	      "a passing mention in a round-up: %s", r.reason);
	CHECK(strstr(r.reason, "about 0.22 < 0.4 (title +0.00, lead +0.00, share 1/7 +0.07, "
			       "density ") != NULL,
	      "the round-up's aboutness: %s", r.reason);
	CHECK(keeps(ch, "A new desk toy", "The Widget Pro is out.\nThe Widget Pro is fast.\nBuy it.",
		    &r),
	      "the lead and a share of the paragraphs: %s", r.reason);
	CHECK(!keeps(ch, "Gizmo Max review",
		     "The Gizmo Max beats the Widget Pro.\nThe Gizmo Max is fast.\n"
		     "The Gizmo Max is quiet.\nThe Gizmo Max is cheap.\nWe like the Gizmo Max.",
		     &r),
	      "a rival's review that compares against it: %s", r.reason);
	CHECK(strstr(r.reason, "others 4/5 -0.24)") != NULL, "other subjects count against: %s",
	      r.reason);
	filter_chain_free(ch);
	buf_fini(&err);
}

/* ---- DGX Spark ------------------------------------------------------------------------------ */

static struct filter_chain *dgx_chain(void)
{
	char opt[4200];
	struct buf err = BUF_INIT;
	struct filter_chain *ch;

	snprintf(opt, sizeof opt, "rules=%s/dgx-spark.rules",
		 env("RULES_DIR", "etc/feedspool/topics"));
	ch = topic_chain(&err, (const char *const[]){opt, NULL});
	CHECK(ch != NULL, "dgx-spark.rules loads: %s", buf_cstr(&err));
	buf_fini(&err);
	return ch;
}

struct seed_run {
	struct filter_chain *ch;
	json_t *labels; /* title -> true/false */
	int kept, dropped, n;
};

static int on_seed(void *ud, struct article *a, const struct feed_info *f)
{
	struct seed_run *s = ud;
	json_t *label = NULL, *v;
	const char *title;
	struct result r;
	int kept;

	/* the syndicated copy shouts its title */
	json_object_foreach(s->labels, title, v) if (a->title && !strcasecmp(title, a->title))
	    label = v;

	s->n++;
	memset(&r, 0, sizeof r);
	filter_chain_run(s->ch, a, f, on_done, &r);
	kept = r.calls == 1 && r.outcome == FILTER_KEEP;
	s->kept += kept;
	s->dropped += !kept;
	CHECK(label != NULL, "seed article '%s' is in expected/articles.json", a->title);
	if (!label)
		return 0;
	CHECK(kept == json_is_true(label), "seed '%s' from %s: %s expected: %s", a->title, f->name,
	      json_is_true(label) ? "kept" : "dropped", r.reason);
	if (kept) {
		size_t i;
		int dgx = 0;

		CHECK(a->n_topics == 1 && !strcmp(a->topics[0].name, "dgx-spark") &&
			  a->topics[0].score >= 10 && a->topics[0].n_matched > 0,
		      "seed '%s' has the dgx-spark topic, a score and matched phrases", a->title);
		for (i = 0; a->n_topics && i < a->topics[0].n_matched; i++)
			dgx |= !strcmp(a->topics[0].matched[i], "DGX Spark");
		CHECK(dgx, "seed '%s': 'DGX Spark' matched", a->title);
	}
	return 0;
}

static void test_seeds(void)
{
	static const char *const feeds[] = {"outlet-a.rss", "outlet-b.atom", "outlet-c.rdf"};
	struct seed_run s = {0};
	char path[4200];
	json_t *doc, *arts, *it;
	json_error_t je;
	size_t i;

	snprintf(path, sizeof path, "%s/seed-feeds/expected/articles.json",
		 env("FIXTURES", "tests/fixtures"));
	doc = json_load_file(path, 0, &je);
	CHECK(doc != NULL, "%s: %s", path, je.text);
	if (!doc || !(s.ch = dgx_chain())) {
		json_decref(doc);
		return;
	}
	s.labels = json_object();
	arts = json_object_get(doc, "articles");
	json_array_foreach(arts, i, it)
	    json_object_set(s.labels, json_string_value(json_object_get(it, "title")),
			    json_object_get(it, "topic_dgx_spark"));
	for (i = 0; i < 3; i++) {
		struct feed_parser_opts o = {.name = feeds[i]};
		struct feed_parser *p = feed_parser_new(&o, on_seed, &s);
		FILE *f;
		char chunk[8192];
		size_t n;

		snprintf(path, sizeof path, "%s/seed-feeds/%s", env("FIXTURES", "tests/fixtures"),
			 feeds[i]);
		if (!p || !(f = fopen(path, "rb"))) {
			CHECK(0, "cannot read %s", path);
			feed_parser_free(p);
			continue;
		}
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			feed_parser_push(p, chunk, n);
		fclose(f);
		CHECK(feed_parser_finish(p) == 0, "%s parses", path);
		feed_parser_free(p);
	}
	printf("seed feeds: %d articles, %d kept, %d dropped\n", s.n, s.kept, s.dropped);
	CHECK(s.n == 11 && s.kept == 7 && s.dropped == 4,
	      "the seed feeds: 11 articles, the 7 DGX Spark ones kept (got %d, %d kept)", s.n,
	      s.kept);
	filter_chain_free(s.ch);
	json_decref(s.labels);
	json_decref(doc);
}

/* Per category of the labelled set: counts, and the range of aboutness of its articles. */
struct category {
	char name[32];
	int n, kept, label;
	double about_min, about_max;
};

static struct category *category_of(struct category *cats, size_t *n, size_t max, const char *name,
				    int label)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(cats[i].name, name))
			return &cats[i];
	if (*n == max)
		return NULL;
	snprintf(cats[*n].name, sizeof cats[*n].name, "%s", name);
	cats[*n].label = label;
	cats[*n].about_min = 1e9;
	cats[*n].about_max = -1e9;
	return &cats[(*n)++];
}

/* The aboutness written in a reason ("about 0.72 >= 0.4 (...)"), or NAN. */
static double about_in(const char *reason)
{
	const char *p = strstr(reason, "; about ");

	return p ? strtod(p + 8, NULL) : NAN;
}

static void report_categories(const struct category *cats, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct category *c = &cats[i];

		printf("  %-10s %3d articles, labelled %-9s: kept %3d, dropped %3d; %s %.3f; "
		       "aboutness %.2f..%.2f\n",
		       c->name, c->n, c->label ? "DGX Spark" : "other", c->kept, c->n - c->kept,
		       c->label ? "recall" : "kept share", (double)c->kept / c->n,
		       c->about_min < 1e9 ? c->about_min : NAN,
		       c->about_max > -1e9 ? c->about_max : NAN);
		if (c->label)
			CHECK((double)c->kept / c->n >= 0.97, "%s: recall %.3f >= 0.97", c->name,
			      (double)c->kept / c->n);
		else
			CHECK((double)c->kept / c->n <= 0.03, "%s: %d of %d kept", c->name, c->kept,
			      c->n);
	}
}

static void test_labelled(void)
{
	char path[4200], line[16384];
	struct filter_chain *ch = dgx_chain();
	struct category cats[16];
	size_t n_cats = 0;
	int tp = 0, fp = 0, fn = 0, tn = 0, n = 0, langs = 0;
	double precision, recall;
	FILE *f;

	snprintf(path, sizeof path, "%s/topic/labelled.jsonl", env("FIXTURES", "tests/fixtures"));
	f = fopen(path, "r");
	CHECK(f != NULL, "cannot read %s", path);
	if (!f || !ch) {
		if (f)
			fclose(f);
		filter_chain_free(ch);
		return;
	}
	while (fgets(line, sizeof line, f)) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		const char *cat, *lang;
		struct category *c;
		struct article a;
		struct result r;
		int label, kept;
		double about;

		n++;
		if (!o) {
			CHECK(0, "%s:%d: %s", path, n, je.text);
			continue;
		}
		mk(&a, json_string_value(json_object_get(o, "title")),
		   json_string_value(json_object_get(o, "standfirst")),
		   json_string_value(json_object_get(o, "body")));
		label = json_is_true(json_object_get(o, "label"));
		cat = json_string_value(json_object_get(o, "category"));
		lang = json_string_value(json_object_get(o, "lang"));
		langs += lang && strcmp(lang, "en");
		kept = judge(ch, &a, &r) == FILTER_KEEP;
		tp += label && kept;
		fp += !label && kept;
		fn += label && !kept;
		tn += !label && !kept;
		c = category_of(cats, &n_cats, sizeof cats / sizeof *cats, cat ? cat : "none", label);
		CHECK(c && c->label == label, "%s:%d: category %s holds both labels", path, n, cat);
		if (c) {
			c->n++;
			c->kept += kept;
			about = about_in(r.reason);
			if (about == about) {
				c->about_min = about < c->about_min ? about : c->about_min;
				c->about_max = about > c->about_max ? about : c->about_max;
			}
		}
		if (label != kept || getenv("TOPIC_VERBOSE"))
			printf("%s:%d: %s, labelled %s: '%s': %s\n", path, n,
			       kept ? "kept" : "dropped", label ? "DGX Spark" : "other", a.title,
			       r.reason);
		article_fini(&a);
		json_decref(o);
	}
	fclose(f);
	filter_chain_free(ch);
	precision = tp + fp ? (double)tp / (tp + fp) : 0;
	recall = tp + fn ? (double)tp / (tp + fn) : 0;
	printf("labelled set: %d articles (%d DGX Spark, %d not in English): precision %.3f, "
	       "recall %.3f (tp %d, fp %d, fn %d, tn %d)\n",
	       n, tp + fn, langs, precision, recall, tp, fp, fn, tn);
	report_categories(cats, n_cats);
	CHECK(n >= 150 && tp + fn >= 40 && fp + tn >= 40 && langs >= 3,
	      "the labelled set has 150 articles of both kinds, some not in English");
	CHECK(precision >= 0.97, "precision %.3f >= 0.97", precision);
	CHECK(recall >= 0.97, "recall %.3f >= 0.97", recall);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 99;
	test_rule_errors();
	test_matching();
	test_aboutness();
	test_seeds();
	test_labelled();
	{
		static const char *const files[] = {"bad.rules", "ok.rules", "m.rules", "n.rules",
						    "slow.rules", "a.rules"};
		char path[4300];
		size_t i;

		for (i = 0; i < sizeof files / sizeof *files; i++) {
			snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
	return check_exit();
}
