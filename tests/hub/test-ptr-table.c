/* SPDX-License-Identifier: MIT */

/* The supervisor's pointer table: finds by key through colliding probes,
 * removes leave tombstones that later adds reuse, a walk may remove what it
 * stands on, growth keeps every item, and the hashes spread. */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ptr-table.h"

typedef struct item {
        char key[16];
        uint64_t hash; /* chosen by the test: collisions on purpose */
} item;

static uint64_t item_hash(const void *p) {
        return ((const item *) p)->hash;
}

static bool item_match(const void *p, const void *key) {
        return strcmp(((const item *) p)->key, key) == 0;
}

static item items[2000];

static void fill(unsigned n, uint64_t (*hash_of)(unsigned)) {
        for (unsigned i = 0; i < n; i++) {
                snprintf(items[i].key, sizeof items[i].key, "k%u", i);
                items[i].hash = hash_of(i);
        }
}

static uint64_t all_same(unsigned i) {
        return 7;
}

static uint64_t spread(unsigned i) {
        return ptr_table_hash_u64(i);
}

static void test_collisions_and_tombstones(void **state) {
        ptr_table t = {};

        fill(40, all_same);
        for (unsigned i = 0; i < 40; i++)
                assert_int_equal(ptr_table_add(&t, &items[i], items[i].hash, item_hash), 0);
        assert_int_equal(t.n_live, 40);
        assert_true(t.n_used * 4 <= t.n_slots * 3);
        for (unsigned i = 0; i < 40; i++)
                assert_ptr_equal(ptr_table_find(&t, 7, item_match, items[i].key), &items[i]);
        assert_null(ptr_table_find(&t, 7, item_match, "absent"));

        /* Removed from the middle of the run: the ones after it are still
         * found across the tombstone. */
        assert_true(ptr_table_remove(&t, &items[10], 7));
        assert_false(ptr_table_remove(&t, &items[10], 7));
        assert_null(ptr_table_find(&t, 7, item_match, "k10"));
        assert_ptr_equal(ptr_table_find(&t, 7, item_match, "k39"), &items[39]);
        assert_int_equal(t.n_live, 39);
        size_t used = t.n_used;
        /* The tombstone is taken again by the next add on that run. */
        assert_int_equal(ptr_table_add(&t, &items[10], 7, item_hash), 0);
        assert_int_equal(t.n_used, used);
        assert_ptr_equal(ptr_table_find(&t, 7, item_match, "k10"), &items[10]);
        ptr_table_done(&t);
        assert_null(t.slots);
        assert_int_equal(t.n_live, 0);
}

static void test_walk_removing(void **state) {
        ptr_table t = {};
        unsigned seen = 0;
        item *it;

        fill(1000, spread);
        for (unsigned i = 0; i < 1000; i++)
                assert_int_equal(ptr_table_add(&t, &items[i], items[i].hash, item_hash), 0);
        /* Each item seen once, while the walk removes the one it stands on. */
        PTR_TABLE_FOREACH(&t, i, it) {
                seen++;
                assert_true(ptr_table_remove(&t, it, it->hash));
        }
        assert_int_equal(seen, 1000);
        assert_int_equal(t.n_live, 0);
        for (unsigned i = 0; i < 1000; i++)
                assert_null(ptr_table_find(&t, items[i].hash, item_match, items[i].key));

        /* Full of tombstones: adds rebuild without them, and the table
         * stays at most three quarters used. */
        for (unsigned i = 0; i < 1000; i++) {
                assert_int_equal(ptr_table_add(&t, &items[i], items[i].hash, item_hash), 0);
                assert_true(t.n_used * 4 <= t.n_slots * 3);
        }
        assert_int_equal(t.n_live, 1000);
        assert_int_equal(t.n_used, 1000); /* tombstones taken again or dropped */
        assert_true(t.n_slots <= 4096);
        for (unsigned i = 0; i < 1000; i++)
                assert_ptr_equal(ptr_table_find(&t, items[i].hash, item_match, items[i].key), &items[i]);
        ptr_table_done(&t);
}

/* Dense small numbers (cgroup ids) and similar strings (ids) land in
 * every part of a table. */
static void test_hashes_spread(void **state) {
        unsigned buckets[16] = {}, sbuckets[16] = {};
        char id[32];

        for (unsigned i = 0; i < 16000; i++) {
                buckets[ptr_table_hash_u64(i) & 15]++;
                snprintf(id, sizeof id, "child-%05u", i);
                sbuckets[ptr_table_hash_string(id) & 15]++;
        }
        for (unsigned b = 0; b < 16; b++) {
                assert_in_range(buckets[b], 800, 1200);
                assert_in_range(sbuckets[b], 800, 1200);
        }
        assert_true(ptr_table_hash_string("a") != ptr_table_hash_string("b"));
}

static void test_bad_arguments(void **state) {
        ptr_table t = {};

        assert_int_equal(ptr_table_add(NULL, &items[0], 1, item_hash), -EINVAL);
        assert_int_equal(ptr_table_add(&t, NULL, 1, item_hash), -EINVAL);
        assert_int_equal(ptr_table_add(&t, PTR_TABLE_TOMBSTONE, 1, item_hash), -EINVAL);
        assert_int_equal(ptr_table_add(&t, &items[0], 1, NULL), -EINVAL);
        assert_null(ptr_table_find(&t, 1, item_match, "k0"));
        assert_null(ptr_table_find(NULL, 1, item_match, "k0"));
        assert_false(ptr_table_remove(&t, &items[0], 1));
        assert_false(ptr_table_remove(NULL, &items[0], 1));
        ptr_table_done(&t);
        ptr_table_done(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_collisions_and_tombstones),
                cmocka_unit_test(test_walk_removing),
                cmocka_unit_test(test_hashes_spread),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
