/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* faults.h - injected failures: rules from -fake-faults or x-fakeqemu-fault, matched per command */
#ifndef FQ_FAULTS_H
#define FQ_FAULTS_H

#include <stdbool.h>

#include <json-c/json.h>

/* struct fq_fault_plan - what the matching rules do to one command. */
struct fq_fault_plan {
	bool error; /* reply this error instead of running the command */
	char *err_class, *err_desc;
	int delay_ms; /* run it, reply after this long (the monitor reads nothing meanwhile) */
	bool hang;    /* never reply, never read again on this connection */
	bool drop;    /* run it, then close the connection instead of replying */
	bool do_exit; /* exit(exit_code) instead of running it */
	int exit_code;
	bool crash;		 /* abort(): a core-dumping crash */
	bool withhold_events;	 /* events this command causes are never sent */
	int event_delay_ms;	 /* ... or sent this much later */
	bool event_before_reply; /* ... or sent before the reply */
	int split_bytes;	 /* write the reply this many bytes at a time */
	bool merge;		 /* hold the reply and send it with the next message */
	char *garbage;		 /* bytes sent just before the reply */
};

/* fq_faults_load() - rules from a JSON file (an array of rule objects); exits on error. */
void fq_faults_load(const char *path);

/* fq_faults_add() - add one rule object; returns its id, or -1 with *@err set (malloc'd). */
int fq_faults_add(json_object *rule, char **err);

/* fq_faults_clear() - drop every rule. */
void fq_faults_clear(void);

/* fq_faults_match() - count @command against every rule and fill @plan. */
void fq_faults_match(const char *command, json_object *args, struct fq_fault_plan *plan);

/* fq_faults_plan_clear() - free a plan's strings. */
void fq_faults_plan_clear(struct fq_fault_plan *plan);

/* fq_faults_rules_json() - the rules and their hit counts, for x-fakeqemu-state. */
json_object *fq_faults_rules_json(void);

/*
 * The plan of the command now executing, consulted when it raises events
 * (NULL outside a command).
 */
extern const struct fq_fault_plan *fq_current_plan;

#endif
