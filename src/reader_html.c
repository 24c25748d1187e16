/* Reader stage, HTML: a crawled page -> its visible text, with libxml2's HTML parser (the one
 * browsers' error recovery was modelled on before HTML5; forgiving, no network access).
 * Script and style bodies are dropped because their words would join unrelated pages, and
 * block elements end a line so the boilerplate step still sees one line per paragraph. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "reader_internal.h"
#include "util.h"

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static dd_status put(buf *b, const char *s, size_t n)
{
    if (dd__grow((void **)&b->p, &b->cap, b->n + n + 1, 1) != DD_OK)
        return DD_ENOMEM;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return DD_OK;
}

static bool is_hidden(const char *name)
{
    static const char *const hidden[] = {"script", "style", "noscript", "template", "head"};
    size_t i;

    for (i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (strcasecmp(name, hidden[i]) == 0)
            return true;
    return false;
}

static bool is_block(const char *name)
{
    static const char *const block[] = {
        "p",   "div",    "br",         "li",    "tr",      "h1",      "h2",
        "h3",  "h4",     "h5",         "h6",    "article", "section", "blockquote",
        "pre", "header", "footer",     "ul",    "ol",      "table",   "title",
        "dd",  "dt",     "figcaption", "aside", "nav",     "hr",      "main"};
    size_t i;

    for (i = 0; i < sizeof block / sizeof block[0]; i++)
        if (strcasecmp(name, block[i]) == 0)
            return true;
    return false;
}

/* Depth-first, iterative: a hostile page nests deeply, and the C stack is not ours to spend. */
static dd_status walk(xmlNode *root, buf *b)
{
    xmlNode *n = root;
    dd_status st = DD_OK;

    while (n && st == DD_OK) {
        const char *name = (const char *)n->name;
        bool elem = n->type == XML_ELEMENT_NODE;
        if (n->type == XML_TEXT_NODE && n->content)
            st = put(b, (const char *)n->content, strlen((const char *)n->content));
        if (elem && is_block(name))
            st = st == DD_OK ? put(b, "\n", 1) : st;
        if (elem && n->children && !is_hidden(name)) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) {
            n = n->parent;
            if (n && n->type == XML_ELEMENT_NODE && is_block((const char *)n->name))
                st = st == DD_OK ? put(b, "\n", 1) : st;
        }
        n = (n && n != root) ? n->next : NULL;
    }
    return st;
}

/* Collapse runs of white space to one space and trim, in place: a <title> often spans
 * lines in the source. */
static char *squeeze(char *s)
{
    size_t i, o = 0;

    for (i = 0; s && s[i]; i++) {
        bool sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
        if (sp && (o == 0 || s[o - 1] == ' '))
            continue;
        s[o++] = sp ? ' ' : s[i];
    }
    while (o && s[o - 1] == ' ')
        o--;
    if (s)
        s[o] = '\0';
    return s;
}

/* libxml2 limits nesting to 256 levels by default (no HTML_PARSE_HUGE), so this recursion
 * is bounded. */
static char *find_title(xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcasecmp((const char *)n->name, "title") == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            char *s = t ? strdup((const char *)t) : NULL;
            xmlFree(t);
            return squeeze(s);
        }
        if (n->type == XML_ELEMENT_NODE) {
            char *s = find_title(n->children);
            if (s)
                return s;
        }
    }
    return NULL;
}

dd_status dd__html_to_text(const char *in, size_t len, const char *charset, char **out,
                           size_t *out_len, char **title)
{
    int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
               HTML_PARSE_COMPACT;
    htmlDocPtr doc = NULL;
    buf b = {0};
    dd_status st = DD_OK;

    *out = NULL;
    *title = NULL;
    if (len <= (size_t)INT32_MAX)
        doc = htmlReadMemory(in, (int)len, NULL, charset, opts);
    if (doc && xmlDocGetRootElement(doc)) {
        st = walk(xmlDocGetRootElement(doc), &b);
        *title = find_title(xmlDocGetRootElement(doc));
    }
    if (st == DD_OK && !b.p)
        st = put(&b, "", 0);
    xmlFreeDoc(doc);
    if (st != DD_OK) {
        free(b.p);
        free(*title);
        *title = NULL;
        return st;
    }
    *out = b.p;
    *out_len = b.n;
    return DD_OK;
}
