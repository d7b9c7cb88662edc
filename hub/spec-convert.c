/* SPDX-License-Identifier: MIT */

/* Public child specs (ph_child_spec, milliseconds, const strings) to the
 * supervisor's (child_spec, microseconds, owned strings) and back. */

#include <stdarg.h>
#include <stdio.h>

#include "hub-internal.h"
#include "macros.h"
#include "string-util.h"

_public_ void ph_child_spec_init(ph_child_spec *spec) {
        child_spec d;

        if (!spec)
                return;
        child_spec_init(&d);
        *spec = (ph_child_spec) {
                .restart = (ph_restart) d.restart,
                .ready = (ph_ready) d.ready,
                .ready_timeout_ms = d.ready_timeout_usec / USEC_PER_MSEC,
                .shutdown_timeout_ms = d.shutdown_timeout_usec / USEC_PER_MSEC,
                .restart_burst = d.restart_burst,
                .restart_interval_ms = d.restart_interval_usec / USEC_PER_MSEC,
                .restart_delay_ms = d.restart_delay_usec / USEC_PER_MSEC,
                .restart_delay_max_ms = d.restart_delay_max_usec / USEC_PER_MSEC,
                .stdout_output = PH_OUTPUT_INHERIT,
                .stderr_output = PH_OUTPUT_INHERIT,
        };
}

void hub_error_text(char **ret, const char *fmt, ...) {
        va_list ap;

        if (!ret)
                return;
        va_start(ap, fmt);
        free_and_vprintf(ret, fmt, ap);
        va_end(ap);
}

int hub_policy_from_public(const ph_limits *limits, cgroup_policy *ret, const char **ret_reason) {
        assert(limits);
        assert(ret);
        assert(ret_reason);

        if (!cgroup_weight_fits(limits->cpu_weight)) {
                *ret_reason = "cpu_weight: outside 1..10000";
                return -EINVAL;
        }
        if (!cgroup_weight_fits(limits->io_weight)) {
                *ret_reason = "io_weight: outside 1..10000";
                return -EINVAL;
        }
        *ret = (cgroup_policy) {
                .memory_max = limits->memory_max,
                .pids_max = limits->pids_max,
                .cpu_weight = (uint16_t) limits->cpu_weight,
                .io_weight = (uint16_t) limits->io_weight,
        };
        return 0;
}

int hub_spec_from_public(const ph_child_spec *p, child_spec **ret, char **ret_error_text) {
        const char *field = NULL, *reason = NULL;
        child_spec_extra extra;
        cgroup_policy limits;
        child_spec view;
        int r;

        assert(ret);

        if (!p) {
                hub_error_text(ret_error_text, "child spec is missing");
                return -EINVAL;
        }

        r = hub_policy_from_public(&p->limits, &limits, &reason);
        if (r < 0) {
                if (p->id && child_id_validate(p->id, NULL) >= 0)
                        hub_error_text(ret_error_text, "child %s: %s", p->id, reason);
                else
                        hub_error_text(ret_error_text, "child spec: %s", reason);
                return r;
        }

        /* A borrowed view first: validation names the field, then one deep
         * copy. */
        extra = (child_spec_extra) {
                .env = (char **) p->env,
                .cwd = (char *) p->cwd,
                .user = (char *) p->user,
                .group = (char *) p->group,
                .stdout_path = (char *) p->stdout_path,
                .stderr_path = (char *) p->stderr_path,
        };
        view = (child_spec) {
                .id = (char *) p->id,
                .argv = (char **) p->argv,
                .extra = &extra, /* left out of the shared block when empty */
                /* Through child_enum_or_invalid(): the fields are 8 bits
                 * wide, a stray value must not wrap into a valid one. */
                .restart = child_enum_or_invalid(p->restart, _CHILD_RESTART_MAX),
                .ready = child_enum_or_invalid(p->ready, _CHILD_READY_MAX),
                .ready_timeout_usec = ms_to_usec(p->ready_timeout_ms),
                .shutdown_timeout_usec = ms_to_usec(p->shutdown_timeout_ms),
                .restart_burst = p->restart_burst,
                .restart_interval_usec = ms_to_usec(p->restart_interval_ms),
                .restart_delay_usec = ms_to_usec(p->restart_delay_ms),
                .restart_delay_max_usec = ms_to_usec(p->restart_delay_max_ms),
                .limits = limits,
                .stdout_output = child_enum_or_invalid(p->stdout_output, _CHILD_OUTPUT_KIND_MAX),
                .stderr_output = child_enum_or_invalid(p->stderr_output, _CHILD_OUTPUT_KIND_MAX),
        };

        r = child_spec_validate(&view, &field, &reason);
        if (r < 0) {
                if (p->id && child_id_validate(p->id, NULL) >= 0)
                        hub_error_text(ret_error_text, "child %s: %s: %s", p->id, field, reason);
                else
                        hub_error_text(ret_error_text, "child spec: %s: %s", field, reason);
                return r;
        }
        /* Shared: the supervisor and the registry take references to it
         * rather than copies of their own. */
        r = child_spec_share(&view, ret);
        if (r < 0)
                hub_error_text(ret_error_text, "child %s: out of memory", p->id);
        return r;
}

void hub_spec_to_public(const child_spec *s, ph_child_spec *ret) {
        const child_spec_extra *x;

        assert(s);
        assert(ret);

        x = child_spec_extra_of(s);
        *ret = (ph_child_spec) {
                .id = s->id,
                .argv = (const char *const *) s->argv,
                .env = (const char *const *) x->env,
                .cwd = x->cwd,
                .user = x->user,
                .group = x->group,
                .restart = (ph_restart) s->restart,
                .ready = (ph_ready) s->ready,
                .ready_timeout_ms = s->ready_timeout_usec / USEC_PER_MSEC,
                .shutdown_timeout_ms = s->shutdown_timeout_usec / USEC_PER_MSEC,
                .restart_burst = s->restart_burst,
                .restart_interval_ms = s->restart_interval_usec / USEC_PER_MSEC,
                .restart_delay_ms = s->restart_delay_usec / USEC_PER_MSEC,
                .restart_delay_max_ms = s->restart_delay_max_usec / USEC_PER_MSEC,
                .limits = {
                        .memory_max = s->limits.memory_max,
                        .pids_max = s->limits.pids_max,
                        .cpu_weight = s->limits.cpu_weight,
                        .io_weight = s->limits.io_weight,
                },
                .stdout_output = (ph_output) s->stdout_output,
                .stdout_path = x->stdout_path,
                .stderr_output = (ph_output) s->stderr_output,
                .stderr_path = x->stderr_path,
        };
}
