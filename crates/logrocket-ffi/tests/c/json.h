/* A tiny JSON reader for the C tests: parses a document into a tree that keeps each value's
 * source span (so a vector's input can be handed to lr_request_from_json exactly as written)
 * and compares values the way tests/vectors/README.md says: numbers by value, objects by key
 * set, strings byte for byte. Test code only: it trusts its input to be well-formed JSON. */
#ifndef LR_TEST_JSON_H
#define LR_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jvalue {
    jtype type;
    bool boolean;
    double number;
    char *str;          /* decoded, NUL-terminated (J_STR) */
    size_t str_len;
    size_t count;       /* J_ARR / J_OBJ */
    char **keys;        /* J_OBJ */
    size_t *key_lens;   /* J_OBJ: each key's length (a key may hold NUL) */
    struct jvalue **items;
    const char *start;  /* source span */
    const char *end;
} jvalue;

jvalue *json_parse(const char *text);
void json_free(jvalue *v);
jvalue *json_get(const jvalue *object, const char *key);
/* The string member `key` of `object`, or NULL when it is absent or not a string (an optional
 * field such as an expected error's `text` or `field`). */
const char *json_string(const jvalue *object, const char *key);
bool json_equal(const jvalue *a, const jvalue *b);
char *json_source(const jvalue *v); /* malloc'd copy of the span */

#endif
