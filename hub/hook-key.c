/* SPDX-License-Identifier: MIT */

/* The names of the hook keys: the reference's (ProcessHub's hook keys,
 * without the leading colon). */

#include "processhub.h"
#include "string-table.h"

static const char *const ph_hook_key_table[_PH_HOOK_KEY_MAX] = {
        [PH_HOOK_PRE_CLUSTER_JOIN] = "pre_cluster_join",
        [PH_HOOK_POST_CLUSTER_JOIN] = "post_cluster_join",
        [PH_HOOK_PRE_CLUSTER_LEAVE] = "pre_cluster_leave",
        [PH_HOOK_POST_CLUSTER_LEAVE] = "post_cluster_leave",
        [PH_HOOK_REGISTRY_PID_INSERT] = "registry_pid_insert",
        [PH_HOOK_REGISTRY_PID_REMOVE] = "registry_pid_remove",
        [PH_HOOK_CHILDREN_MIGRATED] = "children_migrated",
        [PH_HOOK_FORWARDED_MIGRATION] = "forwarded_migration",
        [PH_HOOK_PRIORITY_STATE_UPDATED] = "priority_state_updated",
        [PH_HOOK_PRE_NODES_REDISTRIBUTION] = "pre_nodes_redistribution",
        [PH_HOOK_POST_NODES_REDISTRIBUTION] = "post_nodes_redistribution",
        [PH_HOOK_PRE_CHILDREN_START] = "pre_children_start",
        [PH_HOOK_POST_CHILDREN_START] = "post_children_start",
        [PH_HOOK_PRE_CHILDREN_REDISTRIBUTION] = "pre_children_redistribution",
        [PH_HOOK_COORDINATOR_SHUTDOWN] = "coordinator_shutdown",
        [PH_HOOK_PROCESS_STARTUPS] = "process_startups",
        [PH_HOOK_CHILD_PROCESS_PID_UPDATE] = "child_process_pid_update",
        [PH_HOOK_CHILD_DATA_ALTER] = "child_data_alter",
        [PH_HOOK_SCOREBOARD_UPDATED] = "scoreboard_updated",
        [PH_HOOK_DESCENDANT_EXIT] = "descendant_exit",
};

/* Both functions are public: the pragma gives them default visibility, as
 * _public_ would (it cannot be put on the two definitions of one macro). */
#pragma GCC visibility push(default)
DEFINE_STRING_TABLE_LOOKUP(ph_hook_key, ph_hook_key)
#pragma GCC visibility pop
