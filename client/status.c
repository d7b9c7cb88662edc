/* SPDX-License-Identifier: MIT */

/* The entry points the client API added beside the embedded ones: a hub's
 * status in one call (for both kinds of handle) and a daemon's hook
 * commands (remote handles only: an embedded hub has no command runner). */

#include <string.h>

#include "client.h"
#include "hub-internal.h"
#include "macros.h"

static int status_embedded(ph_hub *hub, ph_hub_status **ret) {
        _cleanup_free_ char *node = NULL;
        char **nodes = NULL;
        int r;

        node = hub_node_dup(hub);
        if (!node)
                return -ENOMEM;
        r = ph_nodes(hub, true, &nodes);
        if (r < 0)
                return r;
        ph_hub_status *s = client_status_new(hub->hub_id, node, nodes);
        if (!s) {
                strv_free(nodes);
                return -ENOMEM;
        }
        s->alive = ph_is_alive(hub);
        s->locked = ph_is_locked(hub);
        s->partitioned = ph_is_partitioned(hub);
        s->n_children = registry_size(hub->registry);
        s->n_failed = local_states_n_failed(hub->local_states);
        /* The link monitor feeds the cluster's failure detector: a hub
         * alone has no peer and no cluster interface to watch. */
        r = client_status_set_kernel(s, hub_kernel_bpf_state(hub), "idle: no cluster interface (single host)");
        if (r < 0) {
                ph_hub_status_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

_public_ int ph_hub_get_status(ph_hub *hub, ph_hub_status **ret_status) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        assert_return(hub, -EINVAL);
        assert_return(ret_status, -EINVAL);

        if (!hub->remote)
                return status_embedded(hub, ret_status);
        r = client_remote_call(hub->remote, "status", NULL, &result, NULL);
        if (r < 0)
                return r;
        return client_decode_status(result, ret_status);
}

_public_ int ph_hook_command_add(ph_hub *hub, ph_hook_key key, const char *id, const char *const *argv, int priority) {
        json_object *args, *jargv;

        assert_return(hub, -EINVAL);
        assert_return(key >= 0 && key < _PH_HOOK_KEY_MAX, -EINVAL);
        assert_return(id && id[0], -EINVAL);
        assert_return(argv && argv[0] && argv[0][0], -EINVAL);

        if (!hub->remote)
                return -EOPNOTSUPP;
        args = json_object_new_object();
        jargv = json_object_new_array();
        if (!args || !jargv) {
                json_object_put(args);
                json_object_put(jargv);
                return -ENOMEM;
        }
        for (size_t i = 0; argv[i]; i++)
                json_object_array_add(jargv, json_object_new_string(argv[i]));
        json_object_object_add(args, "key", json_object_new_string(ph_hook_key_to_string(key)));
        json_object_object_add(args, "id", json_object_new_string(id));
        json_object_object_add(args, "argv", jargv);
        json_object_object_add(args, "priority", json_object_new_int(priority));
        return client_remote_call(hub->remote, "hook_add", args, NULL, NULL);
}

_public_ int ph_hook_command_remove(ph_hub *hub, ph_hook_key key, const char *const *ids, size_t n) {
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *args, *jids;
        uint64_t removed = 0;
        int r;

        assert_return(hub, -EINVAL);
        assert_return(key >= 0 && key < _PH_HOOK_KEY_MAX, -EINVAL);
        assert_return(ids && n > 0, -EINVAL);
        for (size_t i = 0; i < n; i++)
                assert_return(ids[i] && ids[i][0], -EINVAL);

        if (!hub->remote)
                return -EOPNOTSUPP;
        args = json_object_new_object();
        jids = json_object_new_array();
        if (!args || !jids) {
                json_object_put(args);
                json_object_put(jids);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                json_object_array_add(jids, json_object_new_string(ids[i]));
        json_object_object_add(args, "key", json_object_new_string(ph_hook_key_to_string(key)));
        json_object_object_add(args, "ids", jids);
        r = client_remote_call(hub->remote, "hook_rm", args, &result, NULL);
        if (r < 0)
                return r;
        r = client_json_u64(result, "removed", false, &removed);
        if (r < 0)
                return r;
        return removed > INT32_MAX ? INT32_MAX : (int) removed;
}
