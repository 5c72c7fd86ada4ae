#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Builds tests/fixtures/dedup/labelled.json, the labelled dedup set (issue 11), from real article
# texts (shared/corpus/article-extraction, MIT: copied into tests/fixtures/dedup/articles.json)
# and hand-written templates: run once, its output is committed.
import json, random, re, sys

rnd = random.Random(11)
src = json.load(open(sys.argv[1]))
arts = []
for v in src.values():
    body = v["articleBody"].strip()
    paras = [p.strip() for p in body.split("\n\n") if p.strip()]
    slug = re.sub(r"\.(html?|php)$", "", v["url"].rstrip("/").split("/")[-1])
    slug = re.sub(r"[-_]?\d{6,}$|^\d+[-_]", "", slug)
    words = [w for w in re.split(r"[-_]+", slug) if w and not w.isdigit()]
    if len(words) < 3 or len(paras) < 3 or len(body.split()) < 90:
        continue
    title = " ".join(words).capitalize()
    arts.append({"title": title, "paras": paras[:12], "url": v["url"]})
rnd.shuffle(arts)
print(f"{len(arts)} usable articles", file=sys.stderr)

cases = []
def case(kind, cat, items):
    cases.append({"kind": kind, "category": cat, "items": items})

def host(a):
    return re.sub(r"^https?://(www\.)?", "", a["url"]).split("/")[0]

def item(feed, title, link, body, guid=None):
    return {"feed": feed, "title": title, "link": link, "guid": guid or link, "body": body}

def body(a, lo=0, hi=None):
    return "\n\n".join(a["paras"][lo:hi])

outlets = ["dailyherald", "metrowire", "citypost", "valleytimes", "northstar", "coastnews"]
credits = [
    "This article originally appeared on {o}.com and is republished with permission.",
    "This story was first published by {o} and is shared under a content partnership.",
    "Copyright {o}. Republished under license; all rights reserved.",
    "Originally published at {o}.com. Read more stories like this on our partner site.",
]
i = 0
def nxt():
    global i
    a = arts[i % len(arts)]
    i += 1
    return a

# ---- same story ----------------------------------------------------------------------------
for n in range(12):  # syndicated copies: credit line, new headline
    a = nxt(); o, p = rnd.sample(outlets, 2)
    hi = 2 if n % 4 == 0 else rnd.randint(3, len(a["paras"]))
    b = body(a, 0, hi)
    new_title = rnd.choice(["What to know: ", "Explained: ", "", "Report: "]) + " ".join(
        a["title"].split()[: max(3, len(a["title"].split()) - 2)])
    if n % 3 == 0:
        new_title = "Latest: " + " ".join(reversed(a["title"].split()[:4]))
    case("same", "syndicated copy", [
        item(o, a["title"], f"https://{o}.example/news/{n}-story", b),
        item(p, new_title, f"https://{p}.example/syndicated/{n}",
             b + "\n\n" + rnd.choice(credits).format(o=o.capitalize())),
    ])
for n in range(11):  # link variants
    a = nxt(); o = rnd.choice(outlets)
    base = f"https://www.{o}.example/2024/05/{n}/story-{n}"
    variants = [base + "/", base + "?utm_source=rss&utm_medium=feed",
                base.replace("https://www.", "http://m."), base + "/amp/",
                base + "?outputType=amp", "https://feeds.example/r?url=" + base.replace(":", "%3A").replace("/", "%2F"),
                base.replace("https://www.", "https://amp.") + "?fbclid=IwAR0x" + str(n),
                base + "?gclid=abc&mc_cid=77"]
    k = rnd.sample(variants, 2 + n % 2)
    b = body(a, 0, rnd.randint(2, 5)) if n % 4 else ""
    feeds = [o, o + "-mobile", "aggregator"]
    case("same", "link variant", [item(feeds[j], a["title"], k[j], b, guid=f"{feeds[j]}-{n}-{j}")
                                  for j in range(len(k))])
for n in range(11):  # trimmed or added paragraphs
    a = nxt(); o, p = rnd.sample(outlets, 2)
    full = body(a)
    if n % 2:
        other = body(a, 0, max(2, len(a["paras"]) - 1))  # the last paragraph cut
    else:
        other = full + "\n\n" + rnd.choice([
            "Related: Officials are expected to release more details later this week, and this story will be updated as new information becomes available.",
            "Editor's note: Readers can find our earlier coverage of this topic in the archive, including interviews with the people most directly affected.",
            "Watch: A video report on the story, with comments from local residents and experts, is available on our website and in our app."])
    title2 = a["title"] if n % 3 else a["title"] + " - " + p.capitalize()
    case("same", "trimmed or added paragraph", [
        item(o, a["title"], f"https://{o}.example/a/{n}", full),
        item(p, title2, f"https://{p}.example/b/{n}", other)])
for n in range(10):  # corrections
    a = nxt(); o = rnd.choice(outlets)
    paras = list(a["paras"])
    k = rnd.randrange(len(paras))
    sent = re.split(r"(?<=[.!?])\s+", paras[k])
    j = rnd.randrange(len(sent))
    w = sent[j].split()
    if len(w) > 3:
        w[rnd.randrange(len(w))] = rnd.choice(["Tuesday", "eighteen", "former", "northern", "senior"])
    sent[j] = " ".join(w)
    paras[k] = " ".join(sent)
    corr = "\n\nCorrection: An earlier version of this article misstated a detail. It has been corrected."
    case("same", "correction", [
        item(o, a["title"], f"https://{o}.example/c/{n}", body(a), guid=f"{o}-c-{n}-v1"),
        item(o + "-updates", ("Corrected: " if n % 2 else "") + a["title"],
             f"https://{o}.example/c/{n}-corrected", "\n\n".join(paras) + corr, guid=f"{o}-c-{n}-v2")])
agencies = [("(Reuters) - ", "Reporting by staff; Editing by the desk"),
            ("WASHINGTON (AP) — ", "Associated Press writers contributed to this report."),
            ("LONDON (AFP) - ", "AFP"), ("", "— Wire services")]
for n in range(11):  # wire copies: dateline, byline, other headline, sometimes trimmed
    a = nxt()
    pre, tail = agencies[n % len(agencies)]
    paras = list(a["paras"])
    copies = []
    for m, o in enumerate(rnd.sample(outlets, 2 + n % 2)):
        ps = list(paras) if m % 2 == 0 else paras[: len(paras) - 1]
        ps = [pre + ps[0]] + ps[1:] if m else ps
        t = a["title"] if m == 0 else rnd.choice(["Wire: ", "World: ", "", "Business: "]) + a["title"].upper()
        if m == 2:
            t = "Update 1-" + " ".join(a["title"].split()[:5])
        copies.append(item(o, t, f"https://{o}.example/wire/{n}-{m}", "\n\n".join(ps) + "\n\n" + tail))
    case("same", "wire copy", copies)

# ---- distinct stories -------------------------------------------------------------------------
teasers = [
    "Read the full story on our website. Subscribe for more news every day from our newsroom.",
    "This content is available to subscribers only. Log in or start your free trial to continue reading this story and get unlimited access to all our journalism.",
    "Want more stories like this? Sign up for our free daily newsletter and get the day's top headlines delivered straight to your inbox every morning.",
    "You have reached your limit of free articles this month. Subscribe today for unlimited digital access to award-winning local journalism, the e-edition and more.",
]
for n in range(14):  # shared boilerplate and paywall teasers
    o = outlets[n % len(outlets)] + f"-t{n}"
    t = teasers[n % len(teasers)]
    its = []
    for m in range(2 + n % 3):
        a = nxt()
        b = t if n % 2 == 0 else a["paras"][0] + "\n\n" + t
        its.append(item(o, a["title"], f"https://{o}.example/story/{m}", b))
    case("distinct", "boilerplate or paywall teaser", its)
briefs = ["Morning briefing", "Evening update", "Podcast: This week in tech", "Photo of the day", "Live blog"]
for n in range(10):  # empty descriptions
    o = rnd.choice(outlets) + f"-e{n}"
    its = []
    for m in range(2 + n % 3):
        t = briefs[n % len(briefs)] if n % 2 == 0 else nxt()["title"]
        its.append(item(o, t, f"https://{o}.example/{n}/{m}", ""))
    case("distinct", "empty description", its)
templates = [
    ("{co} reports third-quarter revenue of ${r} million",
     "{co} on Thursday reported revenue of ${r} million for the third quarter, compared with ${p} million a year earlier. Net income was ${ni} million, or {eps} cents per share. Operating margin came in at {m} percent. The company said it expects fourth-quarter revenue between ${lo} million and ${hi} million. Shares rose {s} percent in after-hours trading. The company continues to invest in new products and expand into international markets, and management reiterated its long-term strategy of disciplined growth and returning cash to shareholders through dividends and buybacks. {co} will hold a conference call with analysts at 5 p.m. Eastern time to discuss the results."),
    ("Weather for {day}: high of {h}, low of {l}",
     "Expect a high of {h} degrees and a low of {l} degrees on {day}. Winds from the {dir} at {w} miles per hour, with gusts up to {g}. The chance of rain is {r} percent, and humidity will hover around {hum} percent. Sunrise is at 6:{sr} a.m. and sunset at 7:{ss} p.m. The air quality index is expected to stay at {aq}, which is considered moderate for sensitive groups. Residents are reminded to stay hydrated, check on elderly neighbors and never leave children or pets in parked cars, even for a few minutes."),
    ("Jobless claims {dirw} to {c} in week ending {day}",
     "Initial claims for state unemployment benefits {dirw} by {d} to a seasonally adjusted {c} for the week ended {day}, the Labor Department said on Thursday. Economists polled had forecast {f} claims for the latest week. The four-week moving average, considered a better measure of labor market trends, was {ma}. Continuing claims, a proxy for hiring, stood at {cc} million in the prior week."),
    ("{team} beat {opp} {a}-{b}",
     "{team} defeated {opp} {a}-{b} on {day} night in front of {att} fans. The home side led {ha}-{hb} at halftime before pulling away in the final quarter. The leading scorer finished with {pts} points and {reb} rebounds, while the visitors shot {pct} percent from the field. {team} improved to {wl} on the season and hosts the next game on Saturday."),
]
cos = ["Acme Corp", "Northwind Traders", "Globex", "Initech", "Umbrella Labs"]
days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
def fill(t):
    return t.format(co=rnd.choice(cos), r=rnd.randint(100, 999), p=rnd.randint(100, 999), ni=rnd.randint(10, 99),
                    eps=rnd.randint(10, 99), m=rnd.randint(5, 30), lo=rnd.randint(100, 500), hi=rnd.randint(500, 999),
                    s=rnd.randint(1, 9), day=rnd.choice(days), h=rnd.randint(60, 90), l=rnd.randint(40, 59),
                    dir=rnd.choice(["north", "south", "west"]), w=rnd.randint(5, 20), g=rnd.randint(21, 40),
                    hum=rnd.randint(30, 90), sr=rnd.randint(10, 59), ss=rnd.randint(10, 59), aq=rnd.randint(40, 99),
                    dirw=rnd.choice(["rose", "fell"]), c=f"{rnd.randint(200, 260)},000", d=rnd.randint(1, 20) * 1000,
                    f=f"{rnd.randint(200, 260)},000", ma=f"{rnd.randint(200, 260)},{rnd.randint(100, 999)}",
                    cc=f"1.{rnd.randint(60, 99)}", team=rnd.choice(["Rivertown", "Lakeside", "Hillcrest"]),
                    opp=rnd.choice(["Eastport", "Westfield", "Southgate"]), a=rnd.randint(80, 120), b=rnd.randint(60, 79),
                    att=f"{rnd.randint(5, 19)},{rnd.randint(100, 999)}", ha=rnd.randint(40, 60), hb=rnd.randint(30, 39),
                    pts=rnd.randint(15, 40), reb=rnd.randint(3, 15), pct=rnd.randint(30, 55), wl=f"{rnd.randint(3, 12)}-{rnd.randint(1, 8)}")
for n in range(12):  # same template, other numbers
    t, b = templates[n % len(templates)]
    o = rnd.choice(outlets) + f"-n{n}"
    its = []
    for m in range(2 + n % 2):
        st = rnd.getstate(); tt = fill(t); rnd.setstate(st); bb = fill(b)
        its.append(item(o if m % 2 == 0 else o + "-b", tt, f"https://{o}.example/{n}/{m}", bb))
    case("distinct", "same template, other numbers", its)
about = ["About {co}\n\n{co} is a global leader in cloud-based supply chain software, serving more than 4,000 customers in 60 countries. Founded in 1998 and headquartered in Austin, Texas, the company helps manufacturers, retailers and logistics providers plan, source and deliver products more efficiently. For more information, visit our website or follow us on LinkedIn and X.",
         "About {co}\n\n{co} develops medical imaging systems used in hospitals and clinics around the world. Its products include ultrasound, computed tomography and magnetic resonance scanners, as well as software that helps radiologists read scans faster and more accurately. The company employs about 12,000 people and is listed on the Nasdaq stock exchange."]
def lead_sentence(p):
    # the first sentence of at least 8 words (a dateline such as "HAYWARD, Calif." is none)
    out = ""
    for sent in re.split(r"(?<=[.!?])\s+", p):
        out = (out + " " + sent).strip()
        if len(out.split()) >= 8:
            break
    return out
for n in range(10):  # press releases sharing a long About paragraph
    co = cos[n % len(cos)]
    ab = about[n % 2].format(co=co)
    if n % 2:
        ab += ("\n\nForward-looking statements\n\nThis press release contains forward-looking statements "
               "within the meaning of the Private Securities Litigation Reform Act of 1995, including "
               "statements about expected growth, product plans and market conditions. Actual results may "
               "differ materially from those described because of risks and uncertainties, including those "
               "detailed in the company's filings with the Securities and Exchange Commission. The company "
               "undertakes no obligation to update these statements.\n\nMedia contact: press@" +
               co.split()[0].lower() + ".example")
    its = []
    for m in range(2 + n % 2):
        a = nxt()
        its.append(item(f"{co.split()[0].lower()}-news{'-wire' if m % 2 else ''}",
                        f"{co} " + a["title"][0].lower() + a["title"][1:],
                        f"https://press{n}.example/release/{m}",
                        (lead_sentence(a["paras"][0]) if n % 3 == 0 else a["paras"][0])
                        + "\n\n" + ab))
    case("distinct", "press release with shared About", its)
trans = json.load(open(sys.argv[2]))
for n, t in enumerate(trans["translations"]):  # translations
    case("distinct", "translation", [item("intl-en", t["en"][0], f"https://intl.example/en/{n}", t["en"][1]),
                                     item("intl-" + t["lang"], t["tr"][0], f"https://intl.example/{t['lang']}/{n}", t["tr"][1])])
for n, t in enumerate(trans["same_topic"]):  # same-topic stories from different outlets
    case("distinct", "same topic, other outlet", [item(o, ti, f"https://{o}.example/t/{n}", b)
                                                   for o, (ti, b) in zip(rnd.sample(outlets, len(t)), t)])
json.dump({"source": "tests/tools/make_dedup_set.py", "cases": cases}, sys.stdout, indent=1, ensure_ascii=False)
