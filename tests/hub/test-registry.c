/* SPDX-License-Identifier: MIT */

/* The registry: every function with its bad arguments (exact errnos), merge
 * semantics, node-wide changes, the tag index, copy-on-write immutability,
 * 100,000 entries, readers on four threads while the main thread writes,
 * and lock-free point readers while the writer grows and shrinks the index
 * again and again. No kernel needed; the ASan build checks that nothing
 * leaks. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry-internal.h"
#include "registry.h"

static char *true_argv[] = { "/bin/true", NULL };

static child_spec spec_for(const char *id) {
        child_spec s;

        child_spec_init(&s);
        s.id = (char *) id;
        s.argv = true_argv;
        return s;
}

static registry *new_registry(void) {
        registry *r = NULL;

        assert_int_equal(registry_new(&r), 0);
        assert_non_null(r);
        return r;
}

/* Insert id with one instance on node. */
static int insert1(registry *r, const char *id, const char *node, pid_t pid, const char *tag) {
        child_spec s = spec_for(id);
        registry_instance i = { .node = (char *) node, .pid = pid };

        return registry_insert(r, &s, &i, 1, tag, NULL, 0);
}

static pid_t pid_on(const registry_entry *e, const char *node) {
        for (size_t i = 0; i < e->n_instances; i++)
                if (strcmp(e->instances[i].node, node) == 0)
                        return e->instances[i].pid;
        return 0;
}

static const char *meta_get(const registry_entry *e, const char *key) {
        for (size_t i = 0; i < registry_entry_n_metadata(e); i++)
                if (strcmp(registry_entry_metadata(e)[i].key, key) == 0)
                        return registry_entry_metadata(e)[i].value;
        return NULL;
}

/* A shared spec is not copied: every version of the entry holds a
 * reference to the caller's block, which outlives the caller's own
 * reference and goes with the last version (ASan: no early free, no
 * leak). */
static void test_shared_spec_is_referenced(void **state) {
        registry *r = new_registry();
        child_spec s = spec_for("shared"), *shared = NULL;
        registry_instance i = { .node = "a", .pid = 10 };
        registry_entry *e;

        assert_int_equal(child_spec_share(&s, &shared), 0);
        assert_int_equal(registry_insert(r, shared, &i, 1, NULL, NULL, 0), 1);
        assert_int_equal(shared->n_ref, 2);
        child_spec_free(shared); /* the registry's reference keeps it */

        e = registry_lookup(r, "shared");
        assert_non_null(e);
        assert_ptr_equal(e->spec, shared);
        registry_entry_unref(e);
        assert_int_equal(registry_update_pid(r, "shared", "a", 11), 0);
        e = registry_lookup(r, "shared");
        assert_ptr_equal(e->spec, shared);
        assert_string_equal(e->spec->argv[0], s.argv[0]);
        assert_int_equal(e->instances[0].pid, 11);
        /* A plain spec is copied into a shared block of the registry's. */
        assert_int_equal(registry_insert(r, &s, &i, 1, NULL, NULL, 0), 0);
        registry_entry *e2 = registry_lookup(r, "shared");
        assert_ptr_not_equal(e2->spec, shared);
        assert_true(child_spec_is_shared(e2->spec));
        /* The old version still reads its spec. */
        assert_string_equal(e->spec->id, "shared");
        registry_entry_unref(e);
        registry_entry_unref(e2);
        assert_int_equal(registry_remove(r, "shared"), 0);
        registry_free(r);
}

static void test_new_free(void **state) {
        registry *r = new_registry();

        assert_int_equal(registry_size(r), 0);
        assert_null(registry_free(r));
        assert_null(registry_free(NULL));

        _cleanup_registry_ registry *c = new_registry();
        _cleanup_registry_entry_ registry_entry *e = NULL;

        assert_int_equal(insert1(c, "x", "a", 1, NULL), 1);
        e = registry_lookup(c, "x");
        assert_non_null(e);
}

static void test_insert_lookup(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        char id[] = "web", arg0[] = "/bin/sleep", arg1[] = "10";
        char *argv[] = { arg0, arg1, NULL };
        child_spec s = spec_for(id);
        registry_instance inst[] = { { .node = "node-a", .pid = 100 }, { .node = "node-b", .pid = 200 } };
        registry_kv md[] = { { .key = "owner", .value = "ops" }, { .key = "tier", .value = "front" } };
        registry_entry *e;

        s.argv = argv;
        s.restart_burst = 7;
        assert_int_equal(registry_insert(r, &s, inst, 2, "blue", md, 2), 1);
        assert_int_equal(registry_size(r), 1);
        assert_true(registry_contains(r, "web"));
        assert_false(registry_contains(r, "web2"));
        assert_null(registry_lookup(r, "web2"));
        assert_null(registry_lookup(r, ""));

        /* The registry holds copies: the caller's strings may change. */
        id[0] = 'X';
        arg1[0] = '9';
        md[0].value = "changed";
        inst[0].pid = 999;

        e = registry_lookup(r, "web");
        assert_non_null(e);
        assert_string_equal(e->id, "web");
        assert_string_equal(e->spec->id, "web");
        assert_string_equal(e->spec->argv[0], "/bin/sleep");
        assert_string_equal(e->spec->argv[1], "10");
        assert_null(e->spec->argv[2]);
        assert_int_equal(e->spec->restart_burst, 7);
        assert_int_equal(e->n_instances, 2);
        assert_string_equal(e->instances[0].node, "node-a");
        assert_int_equal(e->instances[0].pid, 100);
        assert_string_equal(e->instances[1].node, "node-b");
        assert_int_equal(e->instances[1].pid, 200);
        assert_string_equal(registry_entry_tag(e), "blue");
        assert_int_equal(registry_entry_n_metadata(e), 2);
        assert_string_equal(registry_entry_metadata(e)[0].key, "owner");
        assert_string_equal(registry_entry_metadata(e)[0].value, "ops");
        assert_string_equal(registry_entry_metadata(e)[1].key, "tier");
        assert_string_equal(registry_entry_metadata(e)[1].value, "front");
        assert_int_equal(e->n_ref, 2); /* the registry's and ours */

        /* A second lookup gives the same version, one more reference. */
        registry_entry *again = registry_lookup(r, "web");
        assert_ptr_equal(again, e);
        assert_ptr_equal(registry_entry_ref(e), e);
        assert_int_equal(e->n_ref, 4);
        assert_null(registry_entry_unref(again));
        assert_null(registry_entry_unref(e));
        assert_null(registry_entry_unref(e));

        /* Without instances, tag or metadata. */
        child_spec bare = spec_for("bare");
        assert_int_equal(registry_insert(r, &bare, NULL, 0, NULL, NULL, 0), 1);
        e = registry_lookup(r, "bare");
        assert_non_null(e);
        assert_int_equal(e->n_instances, 0);
        assert_null(e->instances);
        assert_null(registry_entry_tag(e));
        assert_null(registry_entry_metadata(e));
        assert_int_equal(registry_entry_n_metadata(e), 0);
        registry_entry_unref(e);
        assert_int_equal(registry_size(r), 2);

        /* The first instance's pid, read in place. */
        pid_t pid = 0;
        assert_int_equal(registry_lookup_pid(r, "web", &pid), 0);
        assert_int_equal(pid, 100);
        pid = 0;
        assert_int_equal(registry_lookup_pid(r, "bare", &pid), -ESRCH);
        assert_int_equal(registry_lookup_pid(r, "web2", &pid), -ENOENT);
        assert_int_equal(pid, 0);
        assert_int_equal(registry_update_pid(r, "web", "node-a", 101), 0);
        assert_int_equal(registry_lookup_pid(r, "web", &pid), 0);
        assert_int_equal(pid, 101);
}

static void test_merge(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("db");
        registry_instance a = { .node = "node-a", .pid = 10 }, b = { .node = "node-b", .pid = 20 };
        registry_instance a2 = { .node = "node-a", .pid = 11 }, c = { .node = "node-c", .pid = 30 };
        registry_kv md1[] = { { .key = "k", .value = "1" } };
        registry_kv md2[] = { { .key = "k", .value = "2" }, { .key = "j", .value = "x" } };
        registry_entry *e;

        assert_int_equal(registry_insert(r, &s, &a, 1, "t1", md1, 1), 1);
        /* Another node's instance: kept beside the first. */
        assert_int_equal(registry_insert(r, &s, &b, 1, NULL, NULL, 0), 0);
        e = registry_lookup(r, "db");
        assert_int_equal(e->n_instances, 2);
        assert_int_equal(pid_on(e, "node-a"), 10);
        assert_int_equal(pid_on(e, "node-b"), 20);
        /* tag NULL, no metadata: both kept. */
        assert_string_equal(registry_entry_tag(e), "t1");
        assert_int_equal(registry_entry_n_metadata(e), 1);
        assert_string_equal(meta_get(e, "k"), "1");
        registry_entry_unref(e);

        /* node-a replaced in place, node-c appended, node-b kept; the spec
         * is replaced. */
        registry_instance ac[] = { c, a2 };
        s.restart_burst = 42;
        assert_int_equal(registry_insert(r, &s, ac, 2, NULL, NULL, 0), 0);
        e = registry_lookup(r, "db");
        assert_int_equal(e->n_instances, 3);
        assert_string_equal(e->instances[0].node, "node-a");
        assert_int_equal(e->instances[0].pid, 11);
        assert_string_equal(e->instances[1].node, "node-b");
        assert_int_equal(e->instances[1].pid, 20);
        assert_string_equal(e->instances[2].node, "node-c");
        assert_int_equal(e->instances[2].pid, 30);
        assert_int_equal(e->spec->restart_burst, 42);
        assert_string_equal(registry_entry_tag(e), "t1");
        assert_string_equal(meta_get(e, "k"), "1");
        registry_entry_unref(e);

        /* Metadata given: tag and metadata replaced together (no tag now). */
        assert_int_equal(registry_insert(r, &s, NULL, 0, NULL, md2, 2), 0);
        e = registry_lookup(r, "db");
        assert_int_equal(e->n_instances, 3); /* no instances given: all kept */
        assert_null(registry_entry_tag(e));
        assert_int_equal(registry_entry_n_metadata(e), 2);
        assert_string_equal(meta_get(e, "k"), "2");
        assert_string_equal(meta_get(e, "j"), "x");
        registry_entry_unref(e);

        /* Tag given without metadata: the metadata goes with the old tag. */
        assert_int_equal(registry_insert(r, &s, NULL, 0, "t2", NULL, 0), 0);
        e = registry_lookup(r, "db");
        assert_string_equal(registry_entry_tag(e), "t2");
        assert_int_equal(registry_entry_n_metadata(e), 0);
        assert_null(registry_entry_metadata(e));
        registry_entry_unref(e);
        assert_int_equal(registry_size(r), 1);
}

static void test_remove(void **state) {
        _cleanup_registry_ registry *r = new_registry();

        assert_int_equal(insert1(r, "a", "n", 1, "t"), 1);
        assert_int_equal(insert1(r, "b", "n", 2, "t"), 1);
        assert_int_equal(registry_remove(r, "a"), 0);
        assert_int_equal(registry_remove(r, "a"), -ENOENT);
        assert_int_equal(registry_remove(r, "zzz"), -ENOENT);
        assert_null(registry_lookup(r, "a"));
        assert_false(registry_contains(r, "a"));
        assert_true(registry_contains(r, "b"));
        assert_int_equal(registry_size(r), 1);
        /* Removed, then created again: a new entry. */
        assert_int_equal(insert1(r, "a", "n", 3, NULL), 1);
        assert_int_equal(registry_size(r), 2);
}

static void test_remove_node(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("w");
        registry_instance ab[] = { { .node = "a", .pid = 1 }, { .node = "b", .pid = 2 } };
        registry_kv md[] = { { .key = "k", .value = "v" } };
        registry_entry *e;

        assert_int_equal(registry_insert(r, &s, ab, 2, "t", md, 1), 1);
        assert_int_equal(registry_remove_node(r, "w", "a"), 0);
        e = registry_lookup(r, "w");
        assert_int_equal(e->n_instances, 1);
        assert_string_equal(e->instances[0].node, "b");
        assert_int_equal(e->instances[0].pid, 2);
        assert_string_equal(registry_entry_tag(e), "t"); /* spec, tag and metadata kept */
        assert_string_equal(meta_get(e, "k"), "v");
        assert_string_equal(e->spec->argv[0], "/bin/true");
        registry_entry_unref(e);

        assert_int_equal(registry_remove_node(r, "w", "a"), -ENOENT);
        assert_int_equal(registry_remove_node(r, "nope", "b"), -ENOENT);
        assert_int_equal(registry_remove_node(r, "w", "b"), 1);
        assert_null(registry_lookup(r, "w"));
        assert_int_equal(registry_size(r), 0);
        assert_int_equal(registry_remove_node(r, "w", "b"), -ENOENT);
}

static void test_update_pid(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("w");
        registry_instance ab[] = { { .node = "a", .pid = 1 }, { .node = "b", .pid = 2 } };
        registry_kv md[] = { { .key = "k", .value = "v" } };
        registry_entry *before, *after;

        assert_int_equal(registry_insert(r, &s, ab, 2, "t", md, 1), 1);
        before = registry_lookup(r, "w");
        assert_int_equal(registry_update_pid(r, "w", "b", 77), 0);
        after = registry_lookup(r, "w");
        assert_ptr_not_equal(before, after);
        assert_int_equal(pid_on(after, "a"), 1);
        assert_int_equal(pid_on(after, "b"), 77);
        assert_string_equal(registry_entry_tag(after), "t");
        assert_string_equal(meta_get(after, "k"), "v");
        /* The unchanged parts are shared between the versions. */
        assert_ptr_equal(before->spec, after->spec);
        assert_ptr_equal(registry_entry_metadata(before), registry_entry_metadata(after));
        assert_int_equal(pid_on(before, "b"), 2);
        registry_entry_unref(before);

        /* The same pid again: no new version. */
        assert_int_equal(registry_update_pid(r, "w", "b", 77), 0);
        before = registry_lookup(r, "w");
        assert_ptr_equal(before, after);
        registry_entry_unref(before);
        registry_entry_unref(after);

        assert_int_equal(registry_update_pid(r, "w", "c", 5), -ENOENT);
        assert_int_equal(registry_update_pid(r, "nope", "a", 5), -ENOENT);
}

static void test_rename_node(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("both");
        registry_instance ac[] = { { .node = "a", .pid = 50 }, { .node = "c", .pid = 51 } };
        registry_entry *e;

        assert_int_equal(insert1(r, "x1", "a", 1, "t"), 1);
        assert_int_equal(insert1(r, "x2", "a", 2, NULL), 1);
        assert_int_equal(insert1(r, "y1", "b", 3, "t"), 1);
        assert_int_equal(registry_insert(r, &s, ac, 2, NULL, NULL, 0), 1);

        /* An entry on both nodes: refused, nothing changed. */
        assert_int_equal(registry_rename_node(r, "a", "c"), -EEXIST);
        e = registry_lookup(r, "x1");
        assert_string_equal(e->instances[0].node, "a");
        registry_entry_unref(e);

        assert_int_equal(registry_rename_node(r, "a", "z"), 3);
        e = registry_lookup(r, "x1");
        assert_string_equal(e->instances[0].node, "z");
        assert_int_equal(e->instances[0].pid, 1);
        assert_string_equal(registry_entry_tag(e), "t");
        registry_entry_unref(e);
        e = registry_lookup(r, "both");
        assert_int_equal(e->n_instances, 2);
        assert_string_equal(e->instances[0].node, "z");
        assert_int_equal(e->instances[0].pid, 50);
        assert_string_equal(e->instances[1].node, "c");
        registry_entry_unref(e);
        e = registry_lookup(r, "y1");
        assert_string_equal(e->instances[0].node, "b");
        registry_entry_unref(e);

        assert_int_equal(registry_rename_node(r, "a", "q"), 0); /* none left on a */
        assert_int_equal(registry_rename_node(r, "z", "z"), 0);
        assert_int_equal(registry_update_pid(r, "x2", "z", 9), 0);
        assert_int_equal(registry_update_pid(r, "x2", "a", 9), -ENOENT);
        assert_int_equal(registry_size(r), 4);
}

static void test_drop_node(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("e2");
        registry_instance ab[] = { { .node = "a", .pid = 21 }, { .node = "b", .pid = 22 } };
        registry_entry **removed = (registry_entry **) 1, *e;
        size_t n_removed = 99;

        assert_int_equal(insert1(r, "e1", "a", 11, "t"), 1);
        assert_int_equal(registry_insert(r, &s, ab, 2, "t", NULL, 0), 1);
        assert_int_equal(insert1(r, "e3", "b", 31, "t"), 1);
        assert_int_equal(insert1(r, "e4", "a", 41, NULL), 1);

        assert_int_equal(registry_drop_node(r, "a", &removed, &n_removed), 3);
        assert_int_equal(n_removed, 2);
        /* The removed entries as they were last published. */
        assert_string_equal(removed[0]->id, "e1");
        assert_int_equal(removed[0]->n_instances, 1);
        assert_string_equal(removed[0]->instances[0].node, "a");
        assert_int_equal(removed[0]->instances[0].pid, 11);
        assert_string_equal(registry_entry_tag(removed[0]), "t");
        assert_string_equal(removed[1]->id, "e4");
        /* The registry's own reference goes a grace period later. */
        registry_reclaim_barrier();
        assert_int_equal(removed[1]->n_ref, 1); /* only the caller holds it */
        registry_entries_free(removed, n_removed);

        assert_int_equal(registry_size(r), 2);
        assert_null(registry_lookup(r, "e1"));
        e = registry_lookup(r, "e2");
        assert_int_equal(e->n_instances, 1);
        assert_string_equal(e->instances[0].node, "b");
        registry_entry_unref(e);

        /* Nothing on node a any more. */
        removed = (registry_entry **) 1;
        assert_int_equal(registry_drop_node(r, "a", &removed, &n_removed), 0);
        assert_null(removed);
        assert_int_equal(n_removed, 0);

        /* Without a list of the removed. */
        assert_int_equal(registry_drop_node(r, "b", NULL, NULL), 2);
        assert_int_equal(registry_size(r), 0);

        /* A bare entry (no instance) is left alone. */
        child_spec bare = spec_for("bare");
        assert_int_equal(registry_insert(r, &bare, NULL, 0, NULL, NULL, 0), 1);
        assert_int_equal(registry_drop_node(r, "a", NULL, NULL), 0);
        assert_int_equal(registry_size(r), 1);
}

static void expect_tag(registry *r, const char *tag, const char *const *ids, size_t n) {
        registry_entry **entries = (registry_entry **) 1;
        size_t n_entries = 99;

        assert_int_equal(registry_tag_query(r, tag, &entries, &n_entries), (int) n);
        assert_int_equal(n_entries, n);
        if (n == 0)
                assert_null(entries);
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(entries[i]->id, ids[i]);
                assert_string_equal(registry_entry_tag(entries[i]), tag);
        }
        registry_entries_free(entries, n_entries);
}

/* registry_list() gives ids, in this order. */
static void expect_list(registry *r, const char *const *ids, size_t n) {
        registry_entry **entries = NULL;
        size_t n_entries = 0;

        assert_int_equal(registry_list(r, &entries, &n_entries), (int) n);
        assert_int_equal(n_entries, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(entries[i]->id, ids[i]);
        registry_entries_free(entries, n_entries);
}

static void test_tag_index(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("b");
        registry_kv md[] = { { .key = "k", .value = "v" } };

        expect_tag(r, "red", NULL, 0);
        assert_int_equal(insert1(r, "a", "n", 1, "red"), 1);
        assert_int_equal(insert1(r, "b", "n", 2, "red"), 1);
        assert_int_equal(insert1(r, "c", "n", 3, "blue"), 1);
        assert_int_equal(insert1(r, "d", "n", 4, NULL), 1);
        expect_tag(r, "red", (const char *[]) { "a", "b" }, 2);
        expect_tag(r, "blue", (const char *[]) { "c" }, 1);
        expect_tag(r, "green", NULL, 0);
        expect_tag(r, "", NULL, 0);

        /* A merge changing the tag moves the entry. */
        assert_int_equal(registry_insert(r, &s, NULL, 0, "blue", md, 1), 0);
        expect_tag(r, "red", (const char *[]) { "a" }, 1);
        expect_tag(r, "blue", (const char *[]) { "c", "b" }, 2);
        /* A merge keeping it, and updates, leave the index alone. */
        assert_int_equal(registry_insert(r, &s, NULL, 0, NULL, NULL, 0), 0);
        assert_int_equal(registry_update_pid(r, "b", "n", 22), 0);
        assert_int_equal(registry_insert(r, &s, NULL, 0, "blue", NULL, 0), 0);
        expect_tag(r, "blue", (const char *[]) { "c", "b" }, 2);
        /* Metadata without a tag: out of every group. */
        assert_int_equal(registry_insert(r, &s, NULL, 0, NULL, md, 1), 0);
        expect_tag(r, "blue", (const char *[]) { "c" }, 1);
        /* An untagged entry getting a tag: its slot is replaced by one
         * with the group's links, in the same place of the creation order,
         * the last one here. The same for one that had a tag before, the
         * first one, and one in the middle. */
        assert_int_equal(insert1(r, "d", "n", 4, "red"), 0);
        expect_tag(r, "red", (const char *[]) { "a", "d" }, 2);
        expect_list(r, (const char *[]) { "a", "b", "c", "d" }, 4);
        assert_int_equal(registry_insert(r, &s, NULL, 0, "red", NULL, 0), 0);
        expect_tag(r, "red", (const char *[]) { "a", "d", "b" }, 3);
        expect_list(r, (const char *[]) { "a", "b", "c", "d" }, 4);
        assert_int_equal(registry_update_pid(r, "b", "n", 23), 0);
        expect_tag(r, "red", (const char *[]) { "a", "d", "b" }, 3);
        child_spec sa = spec_for("a");
        assert_int_equal(registry_insert(r, &sa, NULL, 0, NULL, md, 1), 0);
        assert_int_equal(registry_insert(r, &sa, NULL, 0, "blue", NULL, 0), 0);
        expect_tag(r, "red", (const char *[]) { "d", "b" }, 2);
        expect_tag(r, "blue", (const char *[]) { "c", "a" }, 2);
        expect_list(r, (const char *[]) { "a", "b", "c", "d" }, 4);
        pid_t pid = 0;
        assert_int_equal(registry_lookup_pid(r, "a", &pid), 0);
        assert_int_equal(pid, 1);
        assert_int_equal(registry_insert(r, &s, NULL, 0, NULL, md, 1), 0);
        expect_tag(r, "red", (const char *[]) { "d" }, 1);

        /* Removal, remove_node of the last instance, drop_node: the group
         * empties and goes, and comes back when the tag is used again. */
        assert_int_equal(registry_remove(r, "a"), 0);
        expect_tag(r, "red", (const char *[]) { "d" }, 1);
        assert_int_equal(registry_remove_node(r, "d", "n"), 1);
        expect_tag(r, "red", NULL, 0);
        assert_null(registry_tag_find(r, "red"));
        assert_int_equal(insert1(r, "e", "n", 5, "red"), 1);
        expect_tag(r, "red", (const char *[]) { "e" }, 1);
        assert_int_equal(registry_drop_node(r, "n", NULL, NULL), 3);
        expect_tag(r, "red", NULL, 0);
        expect_tag(r, "blue", NULL, 0);
        assert_null(r->tags);
}

static void test_find_existing(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        char *ids[] = { "b", "x", "a", "y", "c" };
        char **present = NULL;

        assert_int_equal(insert1(r, "a", "n", 1, NULL), 1);
        assert_int_equal(insert1(r, "b", "n", 2, NULL), 1);
        assert_int_equal(insert1(r, "c", "n", 3, NULL), 1);

        assert_int_equal(registry_find_existing(r, ids, ELEMENTSOF(ids), &present), 3);
        assert_string_equal(present[0], "b");
        assert_string_equal(present[1], "a");
        assert_string_equal(present[2], "c");
        assert_null(present[3]);
        present = strv_free(present);

        assert_int_equal(registry_find_existing(r, ids, ELEMENTSOF(ids), NULL), 3);
        assert_int_equal(registry_find_existing(r, ids + 1, 1, &present), 0);
        assert_non_null(present);
        assert_null(present[0]);
        present = strv_free(present);
        assert_int_equal(registry_find_existing(r, NULL, 0, &present), 0);
        assert_null(present[0]);
        present = strv_free(present);
}

static void test_immutability(void **state) {
        registry *r = new_registry();
        child_spec s = spec_for("w");
        registry_instance a = { .node = "a", .pid = 1 }, b = { .node = "b", .pid = 2 };
        registry_kv md[] = { { .key = "version", .value = "1" } };
        registry_kv md2[] = { { .key = "version", .value = "2" } };
        registry_entry *v1, *v2, *v3, **list;
        size_t n;

        assert_int_equal(registry_insert(r, &s, &a, 1, "old", md, 1), 1);
        v1 = registry_lookup(r, "w");
        assert_int_equal(registry_list(r, &list, &n), 1);

        s.restart_burst = 99;
        assert_int_equal(registry_insert(r, &s, &b, 1, "new", md2, 1), 0);
        v2 = registry_lookup(r, "w");
        assert_ptr_not_equal(v1, v2);
        /* The old version is as it was. */
        assert_int_equal(v1->n_instances, 1);
        assert_int_equal(v1->spec->restart_burst, CHILD_SPEC_DEFAULT_RESTART_BURST);
        assert_string_equal(registry_entry_tag(v1), "old");
        assert_string_equal(meta_get(v1, "version"), "1");
        assert_ptr_equal(list[0], v1);
        registry_reclaim_barrier();
        assert_int_equal(v1->n_ref, 2); /* ours and the list's: the registry dropped its own */
        /* The new one. */
        assert_int_equal(v2->n_instances, 2);
        assert_int_equal(v2->spec->restart_burst, 99);
        assert_string_equal(registry_entry_tag(v2), "new");
        assert_string_equal(meta_get(v2, "version"), "2");

        assert_int_equal(registry_update_pid(r, "w", "a", 3), 0);
        assert_int_equal(pid_on(v2, "a"), 1);
        assert_int_equal(registry_remove(r, "w"), 0);
        assert_int_equal(pid_on(v2, "a"), 1);
        assert_null(registry_lookup(r, "w"));

        assert_int_equal(insert1(r, "w", "a", 5, NULL), 1);
        v3 = registry_lookup(r, "w");
        /* Entries outlive the registry. */
        registry_free(r);
        assert_int_equal(v3->n_ref, 1);
        assert_int_equal(pid_on(v3, "a"), 5);
        assert_string_equal(registry_entry_tag(v2), "new");
        registry_entries_free(list, n);
        registry_entry_unref(v1);
        registry_entry_unref(v2);
        registry_entry_unref(v3);
}

#define SCALE_N 100000

static void test_scale(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        registry_entry **entries;
        registry_hash_stats st;
        uint8_t *seen;
        size_t n;
        char id[32];

        for (unsigned i = 0; i < SCALE_N; i++) {
                snprintf(id, sizeof id, "child-%06u", i);
                assert_int_equal(insert1(r, id, "node-1", (pid_t) i + 1, i % 2 ? NULL : "half"), 1);
        }
        assert_int_equal(registry_size(r), SCALE_N);

        /* The index grew with the entries: at most half full, probe runs
         * short. */
        registry_get_hash_stats(r, &st);
        assert_int_equal(st.n_items, SCALE_N);
        assert_int_equal(st.n_tombstones, 0);
        assert_true(st.n_cells >= 2 * SCALE_N);
        assert_true(st.mean_probe < 2.0);
        assert_true(st.max_probe <= 64);

        for (unsigned i = 0; i < SCALE_N; i++) {
                registry_entry *e;

                snprintf(id, sizeof id, "child-%06u", i);
                e = registry_lookup(r, id);
                assert_non_null(e);
                assert_string_equal(e->id, id);
                assert_int_equal(e->instances[0].pid, (pid_t) i + 1);
                registry_entry_unref(e);
                snprintf(id, sizeof id, "missing-%06u", i);
                assert_null(registry_lookup(r, id));
        }

        seen = calloc(SCALE_N, 1);
        assert_non_null(seen);
        assert_int_equal(registry_list(r, &entries, &n), SCALE_N);
        assert_int_equal(n, SCALE_N);
        for (size_t i = 0; i < n; i++) {
                unsigned k;

                assert_int_equal(sscanf(entries[i]->id, "child-%u", &k), 1);
                assert_true(k < SCALE_N);
                assert_false(seen[k]);
                seen[k] = 1;
                assert_int_equal(entries[i]->instances[0].pid, (pid_t) k + 1);
        }
        registry_entries_free(entries, n);
        free(seen);

        assert_int_equal(registry_tag_query(r, "half", &entries, &n), SCALE_N / 2);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(registry_entry_tag(entries[i]), "half");
        registry_entries_free(entries, n);

        for (unsigned i = 0; i < SCALE_N; i++) {
                snprintf(id, sizeof id, "child-%06u", i);
                assert_int_equal(registry_remove(r, id), 0);
        }
        assert_int_equal(registry_size(r), 0);
        /* And shrank as they went. */
        registry_get_hash_stats(r, &st);
        assert_int_equal(st.n_items, 0);
        assert_true(st.n_cells <= 64);
        assert_int_equal(registry_list(r, &entries, &n), 0);
        assert_null(entries);
        assert_int_equal(registry_tag_query(r, "half", &entries, &n), 0);
}

/* ---- Concurrency: readers check that every entry they see is whole. ----
 *
 * Child i ("c-<i>") is written so that its entry is consistent in itself:
 * spec->restart_burst equals the "version" metadata, argv[1] is the id, the
 * tag is "odd" or "even" after the version's parity, and every instance's
 * pid is i modulo CONC_STRIDE, plus 1. Versions only grow, even across a
 * removal, so a reader thread never sees an id's version go back. */

#define CONC_N 2000
#define CONC_STRIDE 4096
#define CONC_READERS 4
#define CONC_USEC 500000
#define CONC_HOT 16

typedef struct conc_reader {
        pthread_t thread;
        registry *r;
        unsigned seed;
        unsigned long ops, entries_seen, errors;
        char first_error[160];
        unsigned last_version[CONC_N];
} conc_reader;

static volatile bool conc_stop;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

_printf_(2, 3) static void conc_error(conc_reader *c, const char *fmt, ...) {
        va_list ap;

        if (c->errors++ > 0)
                return;
        va_start(ap, fmt);
        vsnprintf(c->first_error, sizeof c->first_error, fmt, ap);
        va_end(ap);
}

#define CONC_FAIL(c, ...)                         \
        do {                                      \
                conc_error(c, __VA_ARGS__);       \
                return;                           \
        } while (false)

static bool parse_uint(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end || v > UINT_MAX)
                return false;
        *ret = (unsigned) v;
        return true;
}

/* Check e; expected_id/expected_tag when the reader knows them. Cheap, so
 * that readers spend their time in the registry. */
static void conc_check(conc_reader *c, const registry_entry *e, const char *expected_id, const char *expected_tag) {
        const char *version;
        unsigned i, v;

        c->entries_seen++;
        if (!e || !e->spec || !e->spec->id || strcmp(e->id, e->spec->id) != 0)
                CONC_FAIL(c, "entry without id or spec");
        if (strncmp(e->id, "c-", 2) != 0 || !parse_uint(e->id + 2, &i) || i >= CONC_N)
                CONC_FAIL(c, "bad id %s", e->id);
        if (expected_id && strcmp(e->id, expected_id) != 0)
                CONC_FAIL(c, "looked up %s, got %s", expected_id, e->id);
        if (!e->spec->argv || !e->spec->argv[1] || strcmp(e->spec->argv[1], e->id) != 0)
                CONC_FAIL(c, "%s: argv", e->id);
        version = meta_get(e, "version");
        if (registry_entry_n_metadata(e) != 1 || !version || !parse_uint(version, &v))
                CONC_FAIL(c, "%s: metadata", e->id);
        if (e->spec->restart_burst != v)
                CONC_FAIL(c, "%s: spec of version %u, metadata of %u", e->id, e->spec->restart_burst, v);
        if (!registry_entry_tag(e) || strcmp(registry_entry_tag(e), v % 2 ? "odd" : "even") != 0)
                CONC_FAIL(c, "%s: tag %s at version %u", e->id, registry_entry_tag(e) ?: "(none)", v);
        if (expected_tag && strcmp(registry_entry_tag(e), expected_tag) != 0)
                CONC_FAIL(c, "%s: tag %s in the query of %s", e->id, registry_entry_tag(e), expected_tag);
        if (e->n_instances < 1 || e->n_instances > 2)
                CONC_FAIL(c, "%s: %" PRIu32 " instances", e->id, e->n_instances);
        for (size_t k = 0; k < e->n_instances; k++) {
                const registry_instance *in = &e->instances[k];

                if (strcmp(in->node, "node-a") != 0 && strcmp(in->node, "node-b") != 0)
                        CONC_FAIL(c, "%s: node %s", e->id, in->node);
                if (k > 0 && strcmp(in->node, e->instances[0].node) == 0)
                        CONC_FAIL(c, "%s: node %s twice", e->id, in->node);
                if (in->pid <= 0 || (unsigned) (in->pid - 1) % CONC_STRIDE != i)
                        CONC_FAIL(c, "%s: pid %d", e->id, (int) in->pid);
        }
        if (v < c->last_version[i])
                CONC_FAIL(c, "%s: version %u after %u", e->id, v, c->last_version[i]);
        c->last_version[i] = v;
}

/* Half of the reads and writes go to a few hot ids, so that readers and
 * the writer meet on the same slots. */
static unsigned conc_pick(unsigned *seed) {
        unsigned x = (unsigned) rand_r(seed);

        return x % 2 ? (x >> 1) % CONC_HOT : (x >> 1) % CONC_N;
}

static void *conc_reader_run(void *userdata) {
        conc_reader *c = userdata;
        uint8_t seen[CONC_N];
        char id[32];

        while (!__atomic_load_n(&conc_stop, __ATOMIC_RELAXED)) {
                unsigned op = rand_r(&c->seed) % 100;
                registry_entry **entries, *e;
                size_t n;
                int k;

                if (op < 98) {
                        snprintf(id, sizeof id, "c-%u", conc_pick(&c->seed));
                        e = registry_lookup(c->r, id);
                        if (e)
                                conc_check(c, e, id, NULL);
                        registry_entry_unref(e);
                        if (rand_r(&c->seed) % 2)
                                (void) registry_contains(c->r, id);
                } else if (op < 99) {
                        k = registry_list(c->r, &entries, &n);
                        if (k < 0 || (size_t) k != n || n > CONC_N) {
                                conc_error(c, "list: %d %zu", k, n);
                                continue;
                        }
                        memset(seen, 0, sizeof seen);
                        for (size_t j = 0; j < n; j++) {
                                unsigned i;

                                conc_check(c, entries[j], NULL, NULL);
                                if (parse_uint(entries[j]->id + 2, &i) && i < CONC_N && seen[i]++)
                                        conc_error(c, "list: %s twice", entries[j]->id);
                        }
                        registry_entries_free(entries, n);
                } else {
                        const char *tag = op % 2 ? "odd" : "even";

                        k = registry_tag_query(c->r, tag, &entries, &n);
                        if (k < 0 || (size_t) k != n || n > CONC_N) {
                                conc_error(c, "tag query: %d %zu", k, n);
                                continue;
                        }
                        for (size_t j = 0; j < n; j++)
                                conc_check(c, entries[j], NULL, tag);
                        registry_entries_free(entries, n);
                }
                c->ops++;
        }
        return NULL;
}

/* The writer's model of child i. */
typedef struct conc_model {
        bool present;
        unsigned version;
        pid_t pid[2]; /* node-a, node-b; 0: no instance */
} conc_model;

static const char *const conc_nodes[2] = { "node-a", "node-b" };

static pid_t conc_pid(unsigned i, unsigned *seed) {
        return (pid_t) ((rand_r(seed) % 100000) * CONC_STRIDE + i + 1);
}

/* One random write on child i; returns false when the registry's answer
 * was not the model's. */
static bool conc_write(registry *r, conc_model *m, unsigned i, unsigned *seed) {
        char id[32], version[16], argv1[32];
        char *argv[] = { "/bin/true", argv1, NULL };
        unsigned op = rand_r(seed) % 100;
        int k;

        snprintf(id, sizeof id, "c-%u", i);
        snprintf(argv1, sizeof argv1, "c-%u", i);

        if (!m->present || op < 35) {
                /* Insert or merge: a new version, on one node or both. */
                unsigned which = rand_r(seed) % 3; /* a, b, both */
                registry_instance in[2];
                size_t n = 0;
                child_spec s = spec_for(id);
                registry_kv md = { .key = "version", .value = version };

                m->version++;
                snprintf(version, sizeof version, "%u", m->version);
                s.argv = argv;
                s.restart_burst = m->version;
                for (unsigned node = 0; node < 2; node++)
                        if (which == node || which == 2) {
                                pid_t pid = conc_pid(i, seed);

                                in[n++] = (registry_instance) { .node = (char *) conc_nodes[node], .pid = pid };
                        }
                k = registry_insert(r, &s, in, n, m->version % 2 ? "odd" : "even", &md, 1);
                if (k != (m->present ? 0 : 1))
                        return false;
                if (!m->present)
                        m->pid[0] = m->pid[1] = 0;
                for (size_t j = 0; j < n; j++)
                        m->pid[strcmp(in[j].node, "node-a") == 0 ? 0 : 1] = in[j].pid;
                m->present = true;
                return true;
        }

        unsigned node = m->pid[0] && m->pid[1] ? rand_r(seed) % 2 : (m->pid[0] ? 0 : 1);

        if (op < 45) {
                /* Merge only instances: spec unchanged, metadata kept. */
                child_spec s = spec_for(id);
                registry_instance in = { .node = (char *) conc_nodes[node], .pid = conc_pid(i, seed) };

                s.argv = argv;
                s.restart_burst = m->version;
                if (registry_insert(r, &s, &in, 1, NULL, NULL, 0) != 0)
                        return false;
                m->pid[node] = in.pid;
                return true;
        }
        if (op < 80) {
                pid_t pid = conc_pid(i, seed);

                if (registry_update_pid(r, id, conc_nodes[node], pid) != 0)
                        return false;
                m->pid[node] = pid;
                return true;
        }
        if (op < 92) {
                bool last = !m->pid[!node];

                if (registry_remove_node(r, id, conc_nodes[node]) != (last ? 1 : 0))
                        return false;
                m->pid[node] = 0;
                m->present = !last;
                return true;
        }
        if (registry_remove(r, id) != 0)
                return false;
        m->present = false;
        m->pid[0] = m->pid[1] = 0;
        return true;
}

static void test_concurrency(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        conc_reader *readers;
        conc_model *model;
        unsigned seed = 12345, mismatches = 0;
        unsigned long writes = 0, drops = 0;
        registry_entry **entries;
        size_t n, n_present = 0;
        char version[16];
        uint64_t end;

        readers = calloc(CONC_READERS, sizeof(conc_reader));
        model = calloc(CONC_N, sizeof(conc_model));
        assert_non_null(readers);
        assert_non_null(model);
        for (unsigned i = 0; i < CONC_N; i++)
                if (!conc_write(r, &model[i], i, &seed))
                        mismatches++;

        conc_stop = false;
        for (unsigned t = 0; t < CONC_READERS; t++) {
                readers[t].r = r;
                readers[t].seed = t + 1;
                assert_int_equal(pthread_create(&readers[t].thread, NULL, conc_reader_run, &readers[t]), 0);
        }

        end = now_usec() + CONC_USEC;
        while (now_usec() < end) {
                for (unsigned j = 0; j < 64; j++, writes++) {
                        unsigned i = conc_pick(&seed);

                        if (!conc_write(r, &model[i], i, &seed))
                                mismatches++;
                }
                /* Now and then node-b leaves. */
                if (writes % 4096 == 0) {
                        registry_entry **removed;
                        size_t n_removed;

                        if (registry_drop_node(r, "node-b", &removed, &n_removed) < 0)
                                mismatches++;
                        for (size_t j = 0; j < n_removed; j++) {
                                unsigned i;

                                if (sscanf(removed[j]->id, "c-%u", &i) != 1 || model[i].pid[0] || !model[i].pid[1])
                                        mismatches++;
                        }
                        registry_entries_free(removed, n_removed);
                        for (unsigned i = 0; i < CONC_N; i++) {
                                model[i].pid[1] = 0;
                                model[i].present = model[i].pid[0];
                        }
                        drops++;
                }
        }
        __atomic_store_n(&conc_stop, true, __ATOMIC_RELAXED);

        for (unsigned t = 0; t < CONC_READERS; t++) {
                assert_int_equal(pthread_join(readers[t].thread, NULL), 0);
                print_message("reader %u: %lu operations, %lu entries checked, %lu errors%s%s\n",
                              t, readers[t].ops, readers[t].entries_seen, readers[t].errors,
                              readers[t].errors ? ": " : "", readers[t].first_error);
        }
        print_message("writer: %lu writes, %lu node drops\n", writes, drops);
        for (unsigned t = 0; t < CONC_READERS; t++) {
                assert_int_equal(readers[t].errors, 0);
                assert_true(readers[t].ops > 0);
        }
        assert_int_equal(mismatches, 0);
        assert_true(writes > 1000);

        /* The registry ends exactly as the model. */
        assert_true(registry_list(r, &entries, &n) >= 0);
        for (unsigned i = 0; i < CONC_N; i++)
                n_present += model[i].present;
        assert_int_equal(n, n_present);
        assert_int_equal(registry_size(r), n_present);
        for (size_t j = 0; j < n; j++) {
                unsigned i;

                assert_int_equal(sscanf(entries[j]->id, "c-%u", &i), 1);
                assert_true(model[i].present);
                assert_int_equal(pid_on(entries[j], "node-a"), model[i].pid[0]);
                assert_int_equal(pid_on(entries[j], "node-b"), model[i].pid[1]);
                snprintf(version, sizeof version, "%u", model[i].version);
                assert_string_equal(meta_get(entries[j], "version"), version);
        }
        registry_entries_free(entries, n);
        free(readers);
        free(model);
}

/* What a point reader found stays valid until its read-side section ends:
 * the registry's reference to a replaced entry, and an outgrown table,
 * are released a grace period later, not when the writer replaces them. */
static void test_grace_period(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        const registry_table *t;
        registry_entry *e;
        char id[32];

        assert_int_equal(insert1(r, "x", "n", 1, NULL), 1);

        urcu_bp_read_lock();
        e = registry_index_find(r, "x", registry_hash(r, "x"));
        t = r->table;
        assert_non_null(e);
        assert_int_equal(e->n_ref, 1); /* the registry's only */
        /* Replaced, then removed; and enough entries for several larger
         * tables. */
        assert_int_equal(registry_update_pid(r, "x", "n", 2), 0);
        assert_int_equal(registry_remove(r, "x"), 0);
        for (unsigned i = 0; i < 200; i++) {
                snprintf(id, sizeof id, "y-%u", i);
                assert_int_equal(insert1(r, id, "n", (pid_t) i + 1, NULL), 1);
        }
        assert_ptr_not_equal(r->table, t);
        /* Time for the reclaim thread to run anything it could. */
        (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        assert_int_equal(e->n_ref, 1);
        assert_int_equal(e->instances[0].pid, 1);
        /* The first table, frozen at its last state, still readable. */
        size_t used = 0;
        for (size_t i = 0; i <= t->mask; i++)
                used += t->cells[i] != 0;
        assert_int_equal(used, t->n_used);
        assert_true(used > 1);
        /* A reference taken now outlives the section. */
        assert_ptr_equal(registry_entry_ref(e), e);
        urcu_bp_read_unlock();

        registry_reclaim_barrier();
        assert_int_equal(e->n_ref, 1); /* ours only */
        assert_string_equal(e->id, "x");
        registry_entry_unref(e);
}

/* ---- Point readers without a lock, across index rebuilds. ----
 *
 * Readers ask for three kinds of ids while the writer works: "s-<i>" are
 * there from start to end (only their pids change) and must always be
 * found; "m-<i>" are never inserted and must never be found; "w-<i>" come
 * and go in waves that grow the index from a thousand cells to tens of
 * thousands and shrink it back, several times. What a reader finds must be
 * the id it asked for, whole, with a pid that encodes the id's number. */

#define LF_STABLE 64
#define LF_WAVE 20000
#define LF_STRIDE 65536 /* above LF_WAVE: pid - 1 modulo it is the id's number */
#define LF_READERS 3
#define LF_MIN_WAVES 2
#define LF_MAX_WAVES 8
#define LF_USEC 2000000

typedef struct lf_reader {
        pthread_t thread;
        registry *r;
        unsigned seed;
        unsigned long lookups, found_waves, errors;
        char first_error[160];
} lf_reader;

static volatile bool lf_stop;

static bool lf_pid_ok(pid_t pid, unsigned i) {
        return pid > 0 && (unsigned) (pid - 1) % LF_STRIDE == i;
}

static void lf_error(lf_reader *c, const char *what, const char *id) {
        if (c->errors++ == 0)
                snprintf(c->first_error, sizeof c->first_error, "%s: %s", id, what);
}

/* e, found for id (kind k, number i): whole and the right one. */
static void lf_check(lf_reader *c, const registry_entry *e, const char *id, unsigned i) {
        if (strcmp(e->id, id) != 0 || strcmp(e->spec->id, id) != 0)
                lf_error(c, "another id's entry", id);
        else if (e->n_instances != 1 || strcmp(e->instances[0].node, "node-a") != 0)
                lf_error(c, "instances", id);
        else if (!lf_pid_ok(e->instances[0].pid, i))
                lf_error(c, "pid", id);
}

static void *lf_reader_run(void *userdata) {
        lf_reader *c = userdata;
        char id[32];

        while (!__atomic_load_n(&lf_stop, __ATOMIC_RELAXED)) {
                unsigned kind = (unsigned) rand_r(&c->seed) % 4;
                /* A quarter on s-0, which the writer changes all the time:
                 * a reader often finds a version just as it is replaced. */
                unsigned i = kind == 3 ? 0 : (unsigned) rand_r(&c->seed) % (kind == 0 ? LF_STABLE : LF_WAVE);

                if (kind == 3)
                        kind = 0;
                registry_entry *e;
                pid_t pid = 0;
                int k;

                snprintf(id, sizeof id, "%c-%u", "swm"[kind], i);
                e = registry_lookup(c->r, id);
                k = registry_lookup_pid(c->r, id, &pid);
                c->lookups++;
                switch (kind) {
                case 0:
                        if (!e || k != 0 || !registry_contains(c->r, id))
                                lf_error(c, "always there, not found", id);
                        break;
                case 1:
                        if (e)
                                c->found_waves++;
                        if (k != 0 && k != -ENOENT)
                                lf_error(c, "pid lookup failed", id);
                        break;
                default:
                        if (e || k != -ENOENT || registry_contains(c->r, id))
                                lf_error(c, "never inserted, found", id);
                        break;
                }
                if (e)
                        lf_check(c, e, id, i);
                if (k == 0 && !lf_pid_ok(pid, i))
                        lf_error(c, "pid read in place", id);
                registry_entry_unref(e);
        }
        return NULL;
}

static void lf_set(registry *r, char kind, unsigned i, unsigned round, int expected) {
        char id[32];
        child_spec s;
        registry_instance in = { .node = "node-a", .pid = (pid_t) (round % 1000 * LF_STRIDE + i + 1) };

        snprintf(id, sizeof id, "%c-%u", kind, i);
        s = spec_for(id);
        assert_int_equal(registry_insert(r, &s, &in, 1, NULL, NULL, 0), expected);
}

static void lf_set_pid(registry *r, char kind, unsigned i, unsigned round) {
        char id[32];

        snprintf(id, sizeof id, "%c-%u", kind, i);
        assert_int_equal(registry_update_pid(r, id, "node-a", (pid_t) (round % 1000 * LF_STRIDE + i + 1)), 0);
}

static void test_lockfree_readers(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        lf_reader readers[LF_READERS] = {};
        registry_hash_stats st;
        unsigned waves = 0, round = 0, start_rebuilds;
        size_t max_cells = 0;
        uint64_t end;
        char id[32];

        for (unsigned i = 0; i < LF_STABLE; i++)
                lf_set(r, 's', i, 0, 1);
        registry_get_hash_stats(r, &st);
        start_rebuilds = st.n_rebuilds;

        lf_stop = false;
        for (unsigned t = 0; t < LF_READERS; t++) {
                readers[t] = (lf_reader) { .r = r, .seed = t + 1 };
                assert_int_equal(pthread_create(&readers[t].thread, NULL, lf_reader_run, &readers[t]), 0);
        }

        end = now_usec() + LF_USEC;
        while (waves < LF_MAX_WAVES && (waves < LF_MIN_WAVES || now_usec() < end)) {
                /* Up: every wave id, a stable pid changed now and then, a
                 * wave id's pid too. */
                for (unsigned i = 0; i < LF_WAVE; i++) {
                        round++;
                        lf_set(r, 'w', i, round, 1);
                        lf_set_pid(r, 's', 0, round);
                        if (i % 8 == 0)
                                lf_set_pid(r, 's', round % LF_STABLE, round);
                        if (i % 16 == 15)
                                lf_set_pid(r, 'w', round % (i + 1), round);
                }
                registry_get_hash_stats(r, &st);
                if (st.n_cells > max_cells)
                        max_cells = st.n_cells;
                /* Down, in another order, with merges of the stable ones. */
                for (unsigned j = 0; j < LF_WAVE; j++) {
                        unsigned i = (unsigned) ((j * 7919ULL) % LF_WAVE);

                        round++;
                        snprintf(id, sizeof id, "w-%u", i);
                        assert_int_equal(registry_remove(r, id), 0);
                        lf_set_pid(r, 's', 0, round);
                        if (j % 8 == 0)
                                lf_set(r, 's', round % LF_STABLE, round, 0);
                }
                waves++;
        }
        __atomic_store_n(&lf_stop, true, __ATOMIC_RELAXED);

        for (unsigned t = 0; t < LF_READERS; t++) {
                assert_int_equal(pthread_join(readers[t].thread, NULL), 0);
                print_message("lock-free reader %u: %lu lookups, %lu wave ids found, %lu errors%s%s\n", t,
                              readers[t].lookups, readers[t].found_waves, readers[t].errors,
                              readers[t].errors ? ": " : "", readers[t].first_error);
        }
        registry_get_hash_stats(r, &st);
        print_message("writer: %u waves of %u, %u index rebuilds, up to %zu cells, %zu at the end\n", waves, LF_WAVE,
                      st.n_rebuilds - start_rebuilds, max_cells, st.n_cells);
        for (unsigned t = 0; t < LF_READERS; t++) {
                assert_int_equal(readers[t].errors, 0);
                assert_true(readers[t].lookups > 0);
        }
        /* Each wave grew the index from 1,024 cells (256 for the first)
         * to 65,536 and back: six doublings up, three rebuilds down. */
        assert_true(waves >= LF_MIN_WAVES);
        assert_true(max_cells >= 2 * LF_WAVE);
        assert_true(st.n_rebuilds - start_rebuilds >= waves * 8);
        assert_int_equal(st.n_items, LF_STABLE);
        assert_int_equal(registry_size(r), LF_STABLE);
}

/* ---- The index's cells: one word, tag and address. ---- */

/* Every live cell holds its entry's address and the top 16 bits of the
 * hash of that entry's id: what lets a probe skip an entry by the tag. */
static void check_cells(registry *r, size_t want_live) {
        const registry_table *t = r->table;
        size_t live = 0;

        for (size_t i = 0; i <= t->mask; i++) {
                registry_cell c = t->cells[i];
                const registry_entry *e = (const registry_entry *) (uintptr_t) (c & ((UINT64_C(1) << 48) - 1));

                if (c == 0 || c == 1) /* empty, tombstone */
                        continue;
                live++;
                assert_int_equal(c >> 48, registry_hash(r, e->id) >> 48);
                assert_ptr_equal(registry_index_find(r, e->id, registry_hash(r, e->id)), e);
        }
        assert_int_equal(live, want_live);
}

static void test_index_cells(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        registry_hash_stats st;
        char id[32];

        for (unsigned i = 0; i < 1000; i++) {
                snprintf(id, sizeof id, "cell-%u", i);
                assert_int_equal(insert1(r, id, "n", (pid_t) i + 1, NULL), 1);
        }
        check_cells(r, 1000);
        /* A new version takes its predecessor's cell, with the same tag. */
        for (unsigned i = 0; i < 1000; i += 3) {
                snprintf(id, sizeof id, "cell-%u", i);
                assert_int_equal(registry_update_pid(r, id, "n", (pid_t) i + 5000), 0);
        }
        check_cells(r, 1000);
        /* Removals leave tombstones that lookups probe past and
         * insertions reuse. */
        for (unsigned i = 0; i < 1000; i += 2) {
                snprintf(id, sizeof id, "cell-%u", i);
                assert_int_equal(registry_remove(r, id), 0);
        }
        registry_get_hash_stats(r, &st);
        assert_int_equal(st.n_items, 500);
        assert_int_equal(st.n_tombstones, 500);
        check_cells(r, 500);
        for (unsigned i = 0; i < 1000; i++) {
                pid_t pid = 0;

                snprintf(id, sizeof id, "cell-%u", i);
                assert_int_equal(registry_lookup_pid(r, id, &pid), i % 2 ? 0 : -ENOENT);
                if (i % 2)
                        assert_int_equal(pid, (pid_t) (i % 3 == 0 ? i + 5000 : i + 1));
        }
        for (unsigned i = 0; i < 1000; i += 2) {
                snprintf(id, sizeof id, "cell-%u", i);
                assert_int_equal(insert1(r, id, "n", (pid_t) i + 1, NULL), 1);
        }
        registry_get_hash_stats(r, &st);
        assert_int_equal(st.n_items, 1000);
        check_cells(r, 1000);
}

/* ---- Bad arguments: the exact errno, and nothing changed. ---- */

static void test_bad_args(void **state) {
        _cleanup_registry_ registry *r = new_registry();
        child_spec s = spec_for("ok"), bad;
        registry_instance good = { .node = "n", .pid = 1 };
        registry_instance dup[] = { { .node = "n", .pid = 1 }, { .node = "n", .pid = 2 } };
        registry_kv kv_dup[] = { { .key = "k", .value = "1" }, { .key = "k", .value = "2" } };
        registry_entry **entries = (registry_entry **) 1;
        size_t n = 99;
        char **present = (char **) 1;
        char *ids[] = { "ok", NULL };

        assert_int_equal(registry_new(NULL), -EINVAL);
        assert_null(registry_entry_ref(NULL));
        assert_null(registry_entry_unref(NULL));
        registry_entries_free(NULL, 0);
        registry_entries_free(NULL, 5);

        /* insert */
        assert_int_equal(registry_insert(NULL, &s, &good, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, NULL, &good, 1, NULL, NULL, 0), -EINVAL);
        bad = spec_for(NULL);
        assert_int_equal(registry_insert(r, &bad, &good, 1, NULL, NULL, 0), -EINVAL);
        bad = spec_for("");
        assert_int_equal(registry_insert(r, &bad, &good, 1, NULL, NULL, 0), -EINVAL);
        bad = spec_for("tab\there");
        assert_int_equal(registry_insert(r, &bad, &good, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, NULL, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &(registry_instance) { .node = NULL, .pid = 1 }, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &(registry_instance) { .node = "", .pid = 1 }, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &(registry_instance) { .node = "n", .pid = 0 }, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &(registry_instance) { .node = "n", .pid = -1 }, 1, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, dup, 2, NULL, NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &good, 1, "", NULL, 0), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &good, 1, NULL, NULL, 1), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &good, 1, NULL, &(registry_kv) { .key = NULL, .value = "v" }, 1), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &good, 1, NULL, &(registry_kv) { .key = "", .value = "v" }, 1), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &good, 1, NULL, &(registry_kv) { .key = "k", .value = NULL }, 1), -EINVAL);
        assert_int_equal(registry_insert(r, &s, &good, 1, NULL, kv_dup, 2), -EINVAL);
        assert_int_equal(registry_size(r), 0);
        assert_int_equal(registry_insert(r, &s, &good, 1, NULL, NULL, 0), 1);
        /* A bad merge changes nothing either. */
        assert_int_equal(registry_insert(r, &s, dup, 2, "t", NULL, 0), -EINVAL);
        expect_tag(r, "t", NULL, 0);

        /* remove */
        assert_int_equal(registry_remove(NULL, "ok"), -EINVAL);
        assert_int_equal(registry_remove(r, NULL), -EINVAL);
        assert_int_equal(registry_remove(r, ""), -EINVAL);
        assert_int_equal(registry_remove(r, "missing"), -ENOENT);

        /* remove_node */
        assert_int_equal(registry_remove_node(NULL, "ok", "n"), -EINVAL);
        assert_int_equal(registry_remove_node(r, NULL, "n"), -EINVAL);
        assert_int_equal(registry_remove_node(r, "ok", NULL), -EINVAL);
        assert_int_equal(registry_remove_node(r, "ok", ""), -EINVAL);
        assert_int_equal(registry_remove_node(r, "missing", "n"), -ENOENT);
        assert_int_equal(registry_remove_node(r, "ok", "other"), -ENOENT);

        /* update_pid */
        assert_int_equal(registry_update_pid(NULL, "ok", "n", 5), -EINVAL);
        assert_int_equal(registry_update_pid(r, NULL, "n", 5), -EINVAL);
        assert_int_equal(registry_update_pid(r, "ok", NULL, 5), -EINVAL);
        assert_int_equal(registry_update_pid(r, "ok", "", 5), -EINVAL);
        assert_int_equal(registry_update_pid(r, "ok", "n", 0), -EINVAL);
        assert_int_equal(registry_update_pid(r, "ok", "n", -3), -EINVAL);
        assert_int_equal(registry_update_pid(r, "missing", "n", 5), -ENOENT);
        assert_int_equal(registry_update_pid(r, "ok", "other", 5), -ENOENT);

        /* rename_node */
        assert_int_equal(registry_rename_node(NULL, "n", "m"), -EINVAL);
        assert_int_equal(registry_rename_node(r, NULL, "m"), -EINVAL);
        assert_int_equal(registry_rename_node(r, "n", NULL), -EINVAL);
        assert_int_equal(registry_rename_node(r, "", "m"), -EINVAL);
        assert_int_equal(registry_rename_node(r, "n", ""), -EINVAL);

        /* drop_node: ret_removed and ret_n both or neither, untouched on
         * failure. */
        assert_int_equal(registry_drop_node(NULL, "n", &entries, &n), -EINVAL);
        assert_int_equal(registry_drop_node(r, NULL, &entries, &n), -EINVAL);
        assert_int_equal(registry_drop_node(r, "", &entries, &n), -EINVAL);
        assert_int_equal(registry_drop_node(r, "n", &entries, NULL), -EINVAL);
        assert_int_equal(registry_drop_node(r, "n", NULL, &n), -EINVAL);
        assert_ptr_equal(entries, (registry_entry **) 1);
        assert_int_equal(n, 99);

        /* readers */
        assert_null(registry_lookup(NULL, "ok"));
        assert_null(registry_lookup(r, NULL));
        pid_t pid = 99;
        assert_int_equal(registry_lookup_pid(NULL, "ok", &pid), -EINVAL);
        assert_int_equal(registry_lookup_pid(r, NULL, &pid), -EINVAL);
        assert_int_equal(registry_lookup_pid(r, "ok", NULL), -EINVAL);
        assert_int_equal(pid, 99);
        assert_false(registry_contains(NULL, "ok"));
        assert_false(registry_contains(r, NULL));
        assert_int_equal(registry_size(NULL), 0);
        assert_int_equal(registry_list(NULL, &entries, &n), -EINVAL);
        assert_int_equal(registry_list(r, NULL, &n), -EINVAL);
        assert_int_equal(registry_list(r, &entries, NULL), -EINVAL);
        assert_int_equal(registry_tag_query(NULL, "t", &entries, &n), -EINVAL);
        assert_int_equal(registry_tag_query(r, NULL, &entries, &n), -EINVAL);
        assert_int_equal(registry_tag_query(r, "t", NULL, &n), -EINVAL);
        assert_int_equal(registry_tag_query(r, "t", &entries, NULL), -EINVAL);
        assert_ptr_equal(entries, (registry_entry **) 1);
        assert_int_equal(n, 99);
        assert_int_equal(registry_find_existing(NULL, ids, 1, &present), -EINVAL);
        assert_int_equal(registry_find_existing(r, NULL, 1, &present), -EINVAL);
        assert_int_equal(registry_find_existing(r, ids, 2, &present), -EINVAL); /* ids[1] is NULL */
        assert_ptr_equal(present, (char **) 1);

        assert_int_equal(registry_size(r), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_new_free),
                cmocka_unit_test(test_insert_lookup),
                cmocka_unit_test(test_shared_spec_is_referenced),
                cmocka_unit_test(test_merge),
                cmocka_unit_test(test_remove),
                cmocka_unit_test(test_remove_node),
                cmocka_unit_test(test_update_pid),
                cmocka_unit_test(test_rename_node),
                cmocka_unit_test(test_drop_node),
                cmocka_unit_test(test_tag_index),
                cmocka_unit_test(test_find_existing),
                cmocka_unit_test(test_immutability),
                cmocka_unit_test(test_scale),
                cmocka_unit_test(test_concurrency),
                cmocka_unit_test(test_grace_period),
                cmocka_unit_test(test_lockfree_readers),
                cmocka_unit_test(test_index_cells),
                cmocka_unit_test(test_bad_args),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
