#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct { const char *p; bool ok; } reader;

static void skip_ws(reader *r) {
    while (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t') r->p++;
}

static jvalue *new_value(jtype type, const char *start) {
    jvalue *v = calloc(1, sizeof *v);
    if (v) { v->type = type; v->start = start; }
    return v;
}

static void put_utf8(char *out, size_t *n, unsigned cp) {
    if (cp < 0x80) { out[(*n)++] = (char)cp; }
    else if (cp < 0x800) { out[(*n)++] = (char)(0xC0 | (cp >> 6)); out[(*n)++] = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12)); out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18)); out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static unsigned hex4(const char *p) {
    char buf[5] = {p[0], p[1], p[2], p[3], 0};
    return (unsigned)strtoul(buf, NULL, 16);
}

static char *parse_string(reader *r, size_t *len) {
    const char *p = r->p + 1; /* after the quote */
    size_t cap = 16, n = 0;
    for (const char *q = p; *q && *q != '"'; q++) { cap++; if (*q == '\\') q++; }
    char *out = malloc(cap * 4 + 1);
    if (!out) { r->ok = false; return NULL; }
    while (*p && *p != '"') {
        if (*p != '\\') { out[n++] = *p++; continue; }
        p++;
        switch (*p) {
        case 'n': out[n++] = '\n'; p++; break;
        case 't': out[n++] = '\t'; p++; break;
        case 'r': out[n++] = '\r'; p++; break;
        case 'b': out[n++] = '\b'; p++; break;
        case 'f': out[n++] = '\f'; p++; break;
        case 'u': {
            unsigned cp = hex4(p + 1);
            p += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                unsigned low = hex4(p + 2);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                p += 6;
            }
            put_utf8(out, &n, cp);
            break;
        }
        default: out[n++] = *p++; break; /* \" \\ \/ */
        }
    }
    if (*p != '"') r->ok = false; else p++;
    out[n] = 0;
    *len = n;
    r->p = p;
    return out;
}

static jvalue *parse_value(reader *r);

static jvalue *parse_container(reader *r, bool object) {
    jvalue *v = new_value(object ? J_OBJ : J_ARR, r->p);
    if (!v) { r->ok = false; return NULL; }
    r->p++;
    size_t cap = 0;
    skip_ws(r);
    char close = object ? '}' : ']';
    while (r->ok && *r->p != close) {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 8;
            v->items = realloc(v->items, cap * sizeof *v->items);
            if (object) v->keys = realloc(v->keys, cap * sizeof *v->keys);
            if (object) v->key_lens = realloc(v->key_lens, cap * sizeof *v->key_lens);
            if (!v->items || (object && (!v->keys || !v->key_lens))) { r->ok = false; break; }
        }
        if (object) {
            skip_ws(r);
            size_t len;
            if (*r->p != '"') { r->ok = false; break; }
            v->keys[v->count] = parse_string(r, &len);
            v->key_lens[v->count] = len;
            skip_ws(r);
            if (*r->p != ':') { r->ok = false; v->items[v->count++] = NULL; break; }
            r->p++;
        }
        v->items[v->count++] = parse_value(r);
        skip_ws(r);
        if (*r->p == ',') { r->p++; skip_ws(r); }
        else if (*r->p != close) r->ok = false;
    }
    if (*r->p == close) r->p++;
    v->end = r->p;
    return v;
}

static jvalue *parse_value(reader *r) {
    skip_ws(r);
    jvalue *v = NULL;
    const char *start = r->p;
    switch (*r->p) {
    case '{': return parse_container(r, true);
    case '[': return parse_container(r, false);
    case '"':
        v = new_value(J_STR, start);
        if (v) v->str = parse_string(r, &v->str_len);
        break;
    case 't': v = new_value(J_BOOL, start); if (v) v->boolean = true; r->p += 4; break;
    case 'f': v = new_value(J_BOOL, start); r->p += 5; break;
    case 'n': v = new_value(J_NULL, start); r->p += 4; break;
    default: {
        char *end;
        double d = strtod(r->p, &end);
        if (end == r->p) { r->ok = false; return NULL; }
        v = new_value(J_NUM, start);
        if (v) v->number = d;
        r->p = end;
    }
    }
    if (!v) { r->ok = false; return NULL; }
    v->end = r->p;
    return v;
}

jvalue *json_parse(const char *text) {
    reader r = {text, true};
    jvalue *v = parse_value(&r);
    skip_ws(&r);
    if (!r.ok || *r.p) { json_free(v); return NULL; }
    return v;
}

void json_free(jvalue *v) {
    if (!v) return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
    free(v->str);
    free(v);
}

jvalue *json_get(const jvalue *object, const char *key) {
    if (!object || object->type != J_OBJ) return NULL;
    for (size_t i = 0; i < object->count; i++)
        if (strcmp(object->keys[i], key) == 0) return object->items[i];
    return NULL;
}

const char *json_string(const jvalue *object, const char *key) {
    const jvalue *v = json_get(object, key);
    return v && v->type == J_STR ? v->str : NULL;
}

static jvalue *get_len(const jvalue *object, const char *key) {
    return json_get(object, key);
}

bool json_equal(const jvalue *a, const jvalue *b) {
    if (!a || !b) return a == b;
    if (a->type != b->type) return false;
    switch (a->type) {
    case J_NULL: return true;
    case J_BOOL: return a->boolean == b->boolean;
    case J_NUM: return a->number == b->number;
    case J_STR: return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case J_ARR:
        if (a->count != b->count) return false;
        for (size_t i = 0; i < a->count; i++)
            if (!json_equal(a->items[i], b->items[i])) return false;
        return true;
    case J_OBJ:
        if (a->count != b->count) return false;
        for (size_t i = 0; i < a->count; i++)
            if (!json_equal(a->items[i], get_len(b, a->keys[i]))) return false;
        return true;
    }
    return false;
}

char *json_source(const jvalue *v) {
    size_t n = (size_t)(v->end - v->start);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, v->start, n);
    out[n] = 0;
    return out;
}
