/* SPDX-License-Identifier: MIT */
/* The subcommands of feedspool(1) as its help lists them, and the program that runs each:
 * feedspool (dispatch.c) becomes feedspool-parse (parse_main.c) or feedspool-core (main.c). */
#ifndef FEEDSPOOL_COMMANDS_H
#define FEEDSPOOL_COMMANDS_H

#include <stdio.h>

/* The program that runs the subcommand name ("feedspool-parse" or "feedspool-core"), or NULL
 * when there is no such subcommand. */
const char *command_program(const char *name);
/* feedspool's usage: the subcommands, each with a line on what it does. */
void commands_usage(FILE *f);
/* What both programs answer before a command: no argument (the usage, on stderr), -h/--help/
 * help (on stdout) and -V/--version. Their exit status, or -1 when argv[1] is to be run. */
int commands_answer(int argc, char **argv);

#endif
