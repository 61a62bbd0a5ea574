/* Model configuration as JSON, the form stored in checkpoint metadata
 * (key "nrdfer") and in a run's config.json. */
#ifndef ND_MODEL_CONFIG_H
#define ND_MODEL_CONFIG_H

#include <cjson/cJSON.h>

#include "nrdfer.h"

/* Returns a new cJSON object with every setting of config. */
cJSON *nd_config_to_json(const nrdfer_config *config);

/* Reads settings from json over the paper defaults: absent keys keep the
 * paper value. Fails on a key of the wrong type or an inconsistent config,
 * naming the setting; origin names the file for the message. */
int nd_config_from_json(nrdfer_config *config, const cJSON *json, const char *origin);

/* Compares two configs' architecture (not the snippet filter settings);
 * on a difference returns -1 with a message naming the setting and both
 * values, prefixed by context. */
int nd_config_compare(const nrdfer_config *want, const nrdfer_config *got, const char *context);

/* The architecture in words: "NR-DFERNet", "NR-DFERNet without static
 * branch", ..., or "single-frame baseline". */
const char *nd_config_variant_name(const nrdfer_config *config);

#endif
