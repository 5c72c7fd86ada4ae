/* SPDX-License-Identifier: MIT */
/* The subcommands of feedspool(1); each takes argv after the subcommand name's position. */
#ifndef FEEDSPOOL_CMD_H
#define FEEDSPOOL_CMD_H

/* Exit codes shared by the subcommands. */
#define EXIT_INPUT 1 /* some input failed */
#define EXIT_USAGE 2

int cmd_parse(int argc, char **argv);
int cmd_date(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_run(int argc, char **argv); /* run and once */
int cmd_check(int argc, char **argv);
int cmd_feeds(int argc, char **argv);
int cmd_opml(int argc, char **argv);
int cmd_state(int argc, char **argv); /* state rebuild */
int cmd_extract(int argc, char **argv);
int cmd_take(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_dedup(int argc, char **argv);

#endif
