/* SPDX-License-Identifier: MIT */

/* The tag index: tag → the slots whose current entry has that tag. A slot
 * is in one group at most (an entry has one tag), so a group is an
 * intrusive doubly-linked list of slots, of those that have the links
 * (registry_tagged_slot): joining and leaving are O(1), and a query walks
 * exactly its members. The index follows slots, not entry versions: an
 * update that keeps the tag does not touch it. A slot does not point to
 * its group: the entry's tag names it, and leaving a group (rarer than
 * lookups of the slot) finds it by name. */

#include <string.h>
#include <utlist.h>

#include "registry-internal.h"

registry_tag *registry_tag_find(registry *r, const char *name) {
        registry_tag *t;

        assert(r);
        assert(name);

        HASH_FIND_STR(r->tags, name, t);
        return t;
}

int registry_tag_new(const char *name, registry_tag **ret) {
        size_t len;
        registry_tag *t;

        assert(name);
        assert(ret);

        len = strlen(name);
        t = calloc(1, sizeof(*t) + len + 1);
        if (!t)
                return -ENOMEM;
        memcpy(t->name, name, len + 1);
        *ret = t;
        return 0;
}

registry_tag *registry_tag_free(registry_tag *t) {
        if (t) {
                assert(!t->members);
                free(t);
        }
        return NULL;
}

int registry_tag_add(registry *r, registry_tag *t) {
        assert(r);
        assert(t);

        HASH_ADD_KEYPTR(hh, r->tags, t->name, strlen(t->name), t);
        return t->hh.tbl ? 0 : -ENOMEM; /* left out when the table could not grow */
}

void registry_tag_attach(registry_tag *t, registry_slot *s) {
        registry_tagged_slot *m;

        assert(t);
        assert(s);

        m = registry_tagged_slot_of(s);
        DL_APPEND2(t->members, m, tag_prev, tag_next);
        t->n_members++;
}

registry_tag *registry_tag_detach(registry *r, registry_slot *s) {
        registry_tagged_slot *m;
        registry_tag *t;

        assert(r);
        assert(s);

        if (!s->entry || !registry_entry_tag(s->entry))
                return NULL;
        t = registry_tag_find(r, registry_entry_tag(s->entry));
        assert(t);
        m = registry_tagged_slot_of(s);
        DL_DELETE2(t->members, m, tag_prev, tag_next);
        m->tag_prev = m->tag_next = NULL;
        if (--t->n_members > 0)
                return NULL;
        HASH_DEL(r->tags, t);
        return t;
}
