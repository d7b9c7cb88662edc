/* SPDX-License-Identifier: MIT */
#pragma once

/* processhubd's state, owned by its one loop thread (the "daemon loop"):
 * the hubs it runs, the control socket's connections, the hook commands.
 * Hubs run their own loop threads inside the library; what they report
 * (hook events) and what workers finish (awaited operations) is posted to
 * the daemon loop, so none of the state here needs a lock. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "daemon-config.h"
#include "json-writer.h"
#include "loop.h"
#include "processhub.h"
#include "workers.h"

#define PHD_PROTOCOL_VERSION 1
/* A start of 100,000 children fits in one request. */
#define PHD_MAX_LINE (32 * 1024 * 1024)
#define PHD_MAX_QUEUED (4 * 1024 * 1024)
#define PHD_MAX_HOOK_COMMANDS 256
#define PHD_OVERFLOW_GRACE_USEC (10 * USEC_PER_SEC)
#define PHD_EXIT_HOOK_GRACE_USEC (5 * USEC_PER_SEC)

typedef struct phd phd;
typedef struct phd_hub phd_hub;
typedef struct conn conn;
typedef struct hook_run hook_run;

typedef struct hook_command {
        ph_hook_key key;
        char *id;
        char **argv;
        int priority;
        struct hook_command *next;
} hook_command;

typedef enum phd_hub_state {
        PHD_HUB_RUNNING,
        PHD_HUB_STOPPING, /* ph_hub_stop() runs on a worker */
        PHD_HUB_STOPPED,  /* freed once its last job is done */
} phd_hub_state;

struct phd_hub {
        phd *daemon;
        char *name;
        ph_hub *hub;
        phd_hub_state state;
        /* The settings it runs with: conf points into config. */
        daemon_config *config;
        const hub_conf *conf;
        /* A config to start it with again once stopped (reload changed its
         * settings, or re-added it while it stopped). */
        daemon_config *restart_config;
        unsigned n_jobs; /* workers using hub */
        hook_command *hooks; /* by priority, highest first */
        char **failed;       /* children already logged as failed */
        phd_hub *next;
};

typedef struct out_msg {
        char *data;
        size_t len, off;
        bool event;
        struct out_msg *next;
} out_msg;

typedef struct watch {
        char *hub;
        bool keys[_PH_HOOK_KEY_MAX];
} watch;

struct conn {
        phd *daemon;
        unsigned n_ref; /* the daemon's list, and each job that will reply */
        bool closed;
        int fd;
        loop_source *io;
        uid_t uid;
        pid_t pid;
        char *in;
        size_t in_len, in_size;
        size_t in_scanned; /* c->in[0..in_scanned) holds no newline: a long line is scanned once */
        out_msg *out_head, *out_tail;
        size_t out_bytes;
        bool close_after_flush;
        bool overflowed;         /* past the bound: only the overflow event goes out, then the close */
        loop_source *deadline;   /* closes an overflowed peer that does not read at all */
        watch *watches;
        size_t n_watches;
        conn *prev, *next;
};

struct phd {
        loop *loop;
        workers *workers;
        const daemon_cli *cli;
        daemon_config *config;
        phd_hub *hubs;
        unsigned n_hubs;

        int listen_fd;
        loop_source *listen_source;
        char *socket_path; /* the one we bound (a reload does not move it) */
        conn *conns;

        unsigned startup_jobs; /* static children still starting at startup */
        bool ready_sent;
        bool stopping;
        int exit_code;
        unsigned n_hook_commands_running;
        hook_run *hook_runs;

        loop_source *status_timer, *watchdog_timer, *exit_deadline;
        char *last_status;
        /* Parses every request line, reset between them: one per request
         * was an allocation of 2 KiB (with its stack), which also made
         * malloc consolidate its fast bins each time. */
        json_tokener *tokener;
        /* A reply's text, and a result an operation writes as text
         * (json-writer.h): emptied for each request, their buffers kept. */
        json_writer reply_writer, result_writer;
};

/* daemon.c */
void phd_maybe_ready(phd *d);
void phd_update_status(phd *d);
void phd_maybe_exit(phd *d);

/* heap-trim.c: return the free pages of malloc's arenas to the kernel when
 * they hold many (after a burst); called once a second. */
void phd_heap_trim(phd *d);
/* Called first thing: malloc settings for a long-lived daemon. */
void phd_heap_setup(void);

/* hubs.c */
int phd_hub_start(phd *d, daemon_config *config, const hub_conf *conf);
void phd_hub_begin_stop(phd_hub *h);
phd_hub *phd_find_hub(phd *d, const char *name);
/* A running hub by name, or the only one when name is NULL; else an error
 * (-ENOENT, -EINVAL) and its text. */
int phd_resolve_hub(phd *d, const char *name, phd_hub **ret, char **ret_error_text);
void phd_hub_job_begin(phd_hub *h);
void phd_hub_job_end(phd_hub *h);
int phd_apply_config(phd *d, daemon_config *config);
void phd_stop_all_hubs(phd *d);
void phd_check_failed(phd *d);
char *phd_hub_names(phd *d);
unsigned phd_count_children(phd *d);

/* server.c */
int phd_listen(phd *d, const char *path, const char *group);
void phd_unlisten(phd *d);
conn *conn_ref(conn *c);
conn *conn_unref(conn *c);
void conn_close(conn *c);
void conn_close_all(phd *d);
/* Queue one message (a line is added); the json is consumed. */
void conn_send(conn *c, json_object *message, bool event);
void conn_send_string(conn *c, const char *line, size_t len, bool event);
void phd_broadcast_event(phd *d, const char *hub, ph_hook_key key, const char *event_json);

/* ops.c */
void phd_handle_line(phd *d, conn *c, const char *line, size_t len);
json_object *phd_reply_error(int64_t id, int error, const char *message);

/* hook-command.c */
int hook_command_run(phd *d, const hook_command *hc, const char *hub, const char *event_json);
/* At exit: stop watching commands still running (they are not killed). */
void hook_commands_forget(phd *d);

/* daemon.c: run the daemon; the exit code (0, 1 system error, 2 config). */
int phd_main(const daemon_cli *cli);
