/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration sections that features register.
 *
 * lib/config parses the core's top-level keys (eal, management, log,
 * dataplane, neighbors, icmp, ports, routes). A feature owns further
 * top-level keys of its own (multihoming: `uplinks`, `steering`): it
 * registers each key with a parse and a free callback from a constructor,
 * before nep_config_load() runs, and gets an id back. The loader then
 *
 *  - accepts the key at the top level (an unknown key still fails);
 *  - after the core sections (ports, routes, ... are known and can be
 *    referenced by name), calls each registered parser in registration
 *    order with the key's value node, or NULL when the file does not have
 *    the key (the parser sets its defaults);
 *  - keeps the parser's object in the config: nep_config_section(cfg, id);
 *  - calls the free callback from nep_config_free(), also after a failed
 *    load (so the object may be partly filled).
 *
 * A parser reads the YAML through the helpers below: the same checks,
 * messages and key positions as the core's own sections. Every error is
 * reported as "file:line:column: key.path: message" through nep_cfg_fail(),
 * which does not return: the load unwinds (longjmp) and fails. A parser
 * must therefore store its object in *obj as soon as it has allocated it,
 * and free it only in its free callback. Parsers run on the thread that
 * loads; nothing here touches EAL.
 */
#ifndef NEP_CONFIG_SECTION_H
#define NEP_CONFIG_SECTION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nep_config.h"

/* A section parse in progress (the file, the config being built). */
struct nep_cfg;
/* A node of the YAML file being loaded; valid while its parser runs. */
struct nep_cfg_node;
/* A mapping whose keys were checked; freed when its parser returns. */
struct nep_cfg_map;

/* Dotted key paths ("uplinks[0].health.interval_ms"), NUL included. */
#define NEP_CFG_PATH_MAX 256

/*
 * node: the value of the section's key, NULL when the key is absent.
 * *obj starts NULL; store the parsed object there (before anything can
 * fail). Earlier registered sections are already in nep_cfg_config(c).
 */
typedef void (*nep_config_parse_fn)(struct nep_cfg *c,
	const struct nep_cfg_node *node, void **obj);
/* Frees what parse stored in *obj (never called with NULL). */
typedef void (*nep_config_free_fn)(void *obj);

/*
 * Register a top-level key. Returns the section id (>= 0), -EINVAL for a
 * NULL key or parser, -EEXIST when the key is a core key or already
 * registered, -ENOSPC beyond NEP_CONFIG_MAX_SECTIONS. Not thread-safe:
 * call it from a constructor.
 */
int nep_config_section_register(const char *key, nep_config_parse_fn parse,
	nep_config_free_fn free_fn);

/*
 * Load a file made of registered sections only: another program's
 * configuration (neptune-controller) with the same loader, errors and
 * positions. The core's keys are unknown keys there and no port is
 * required; an empty file fails. Free with nep_config_free().
 */
struct nep_config *nep_config_load_sections(const char *path,
	struct nep_config_error *err);
struct nep_config *nep_config_load_sections_string(const char *name,
	const char *yaml, struct nep_config_error *err);

/* The object section id's parser stored, NULL if none (or a bad id). */
static inline void *
nep_config_section(const struct nep_config *cfg, int id)
{
	if (id < 0 || id >= NEP_CONFIG_MAX_SECTIONS)
		return NULL;
	return cfg->section[id];
}

/* ---- parsing helpers (only while a parser runs) ---------------------- */

/* The config being built: the core sections are complete. */
const struct nep_config *nep_cfg_config(const struct nep_cfg *c);

/* "parent.key" and "parent[i]" into buf; returns buf. */
const char *nep_cfg_path_key(char buf[NEP_CFG_PATH_MAX], const char *parent,
	const char *key);
const char *nep_cfg_path_index(char buf[NEP_CFG_PATH_MAX], const char *parent,
	unsigned i);

/*
 * Fail the load: "file:line:column: path: message" with the position of
 * n (NULL: the top of the document). Does not return.
 */
void nep_cfg_fail(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* -- mappings -- */

/*
 * Open the mapping n found at path; unknown and duplicate keys fail here
 * (allowed: NULL-terminated). Null or NULL n: an empty mapping. Every
 * value's position is recorded for nep_config_key_pos().
 */
const struct nep_cfg_map *nep_cfg_map_open(struct nep_cfg *c,
	const struct nep_cfg_node *n, const char *path,
	const char *const *allowed);
/* The same, for a mapping whose keys are names of things (sites): an
 * unknown one fails "unknown <what> 'KEY'". */
const struct nep_cfg_map *nep_cfg_map_open_named(struct nep_cfg *c,
	const struct nep_cfg_node *n, const char *path,
	const char *const *allowed, const char *what);
/* The mapping under key (absent or null: empty, at the parent's node). */
const struct nep_cfg_map *nep_cfg_map_sub(const struct nep_cfg_map *m,
	const char *key, const char *const *allowed);
/* Where the mapping is (to fail at it) and its dotted path. */
const struct nep_cfg_node *nep_cfg_map_node(const struct nep_cfg_map *m);
const char *nep_cfg_map_path(const struct nep_cfg_map *m);

/* The value of key, NULL if absent; _req fails "missing required key". */
const struct nep_cfg_node *nep_cfg_get(const struct nep_cfg_map *m,
	const char *key);
const struct nep_cfg_node *nep_cfg_req(const struct nep_cfg_map *m,
	const char *key);

/* Typed optional values: when key is present, check, store, return true. */
bool nep_cfg_get_u32(const struct nep_cfg_map *m, const char *key,
	uint32_t lo, uint32_t hi, uint32_t *out);
bool nep_cfg_get_u16(const struct nep_cfg_map *m, const char *key,
	uint16_t lo, uint16_t hi, uint16_t *out);
bool nep_cfg_get_bool(const struct nep_cfg_map *m, const char *key,
	bool *out);
bool nep_cfg_get_str(const struct nep_cfg_map *m, const char *key,
	char *dst, size_t size);

/* -- values: each fails with the core's message for a bad one -- */

/* A plain integer in lo..hi ("expected an integer", "out of range"). */
uint64_t nep_cfg_uint(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, uint64_t lo, uint64_t hi);
bool nep_cfg_bool(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path);
/* Any non-null scalar ("expected a string"). */
const char *nep_cfg_str(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path);
/* Non-empty, shorter than size. */
void nep_cfg_copy_str(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, char *dst, size_t size);
/* A name typed on the CLI: letters, digits, '-', '_', '.'. */
void nep_cfg_name(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, char dst[NEP_NAME_MAX]);
/* Index of the value in names[] (NULL-terminated); else "expected <expect>". */
int nep_cfg_enum(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, const char *const *names, const char *expect);
void nep_cfg_addr(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_addr *out);
/* Strict: host bits must be clear. */
void nep_cfg_prefix(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_prefix *out);
/* ADDR/LEN with host bits (an interface address). */
void nep_cfg_ifaddr(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, struct nep_ifaddr *out);
/* A port by name: its index in cfg->ports[] ("unknown port"). */
int nep_cfg_port(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path);
/*
 * The text of a non-null scalar, NULL for anything else (own checks).
 * Strings from the file (this, nep_cfg_str) live while the parser runs.
 */
const char *nep_cfg_scalar(const struct nep_cfg_node *n);

/* A scalar's text is a non-empty run of decimal digits (no sign). */
bool nep_cfg_all_digits(const char *v);
/* Its value; anything larger than UINT64_MAX saturates. */
uint64_t nep_cfg_parse_dec(const char *v);

/* -- sequences -- */

/*
 * Number of items of the list n (null: 0; not a list: "expected a list");
 * records every item's position, then fails on the first item beyond max
 * ("too many <what> (max N)"; UINT_MAX: no limit).
 */
unsigned nep_cfg_seq(struct nep_cfg *c, const struct nep_cfg_node *n,
	const char *path, unsigned max, const char *what);
/* Is n a list (a value that may be a list or a mapping)? */
bool nep_cfg_is_seq(const struct nep_cfg_node *n);
/* Item i (< nep_cfg_seq()) of the list n. */
const struct nep_cfg_node *nep_cfg_seq_item(struct nep_cfg *c,
	const struct nep_cfg_node *n, unsigned i);

#endif /* NEP_CONFIG_SECTION_H */
