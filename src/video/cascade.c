#include "video/cascade.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/log.h"

#define MAX_RECTS 3

typedef struct feature {
    int count;
    int x[MAX_RECTS], y[MAX_RECTS], w[MAX_RECTS], h[MAX_RECTS];
    float weight[MAX_RECTS];
} feature;

/* Tree node: go left when the feature value < threshold * norm. A child
 * index <= 0 names leaf -index. */
typedef struct node {
    int left, right, feature;
    float threshold;
} node;

typedef struct stage {
    int first_tree, num_trees;
    float threshold;
} stage;

typedef struct tree {
    int first_node, first_leaf;
} tree;

struct nd_cascade {
    int win_w, win_h;
    int num_stages, num_trees, num_nodes, num_leaves, num_features;
    stage *stages;
    tree *trees;
    node *nodes;
    float *leaves;
    feature *features;
};

/* ---- XML reading ---- */

static xmlNode *child(xmlNode *parent, const char *name) {
    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return n;
    return NULL;
}

static int count_items(xmlNode *list) {
    int count = 0;
    for (xmlNode *n = list ? list->children : NULL; n; n = n->next)
        count += n->type == XML_ELEMENT_NODE;
    return count;
}

/* Reads up to max numbers from the text of element n; returns how many. */
static int read_numbers(xmlNode *n, double *values, int max) {
    if (!n)
        return 0;
    xmlChar *text = xmlNodeGetContent(n);
    const char *p = (const char *)text;
    int count = 0;
    while (p && count < max) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            break;
        values[count++] = v;
        p = end;
    }
    xmlFree(text);
    return count;
}

static int read_int(xmlNode *parent, const char *name, int *value) {
    double v;
    if (read_numbers(child(parent, name), &v, 1) != 1)
        return -1;
    *value = (int)v;
    return 0;
}

static int parse_stages(nd_cascade *c, xmlNode *stages, const char *path) {
    /* First count trees, nodes and leaves to size the arrays. */
    c->num_stages = count_items(stages);
    for (xmlNode *s = stages->children; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE)
            continue;
        xmlNode *weak = child(s, "weakClassifiers");
        for (xmlNode *w = weak ? weak->children : NULL; w; w = w->next) {
            if (w->type != XML_ELEMENT_NODE)
                continue;
            double values[4 * 64];
            int n = read_numbers(child(w, "internalNodes"), values, 4 * 64);
            c->num_trees++;
            c->num_nodes += n / 4;
            c->num_leaves += n / 4 + 1;
        }
    }
    c->stages = nd_calloc(c->num_stages, sizeof(stage));
    c->trees = nd_calloc(c->num_trees, sizeof(tree));
    c->nodes = nd_calloc(c->num_nodes, sizeof(node));
    c->leaves = nd_calloc(c->num_leaves, sizeof(float));

    /* Then fill them. */
    int si = 0, ti = 0, ni = 0, li = 0;
    for (xmlNode *s = stages->children; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE)
            continue;
        double threshold;
        if (read_numbers(child(s, "stageThreshold"), &threshold, 1) != 1)
            return nd_fail("%s: stage %d has no stageThreshold", path, si);
        c->stages[si].threshold = (float)threshold;
        c->stages[si].first_tree = ti;
        xmlNode *weak = child(s, "weakClassifiers");
        for (xmlNode *w = weak ? weak->children : NULL; w; w = w->next) {
            if (w->type != XML_ELEMENT_NODE)
                continue;
            double values[4 * 64], leaves[65];
            int n = read_numbers(child(w, "internalNodes"), values, 4 * 64);
            int nl = read_numbers(child(w, "leafValues"), leaves, 65);
            if (n == 0 || n % 4 != 0 || nl != n / 4 + 1)
                return nd_fail("%s: stage %d tree %d has %d node values and %d leaf "
                               "values (expected 4 per node and one leaf more than nodes)",
                               path, si, ti - c->stages[si].first_tree, n, nl);
            c->trees[ti].first_node = ni;
            c->trees[ti].first_leaf = li;
            for (int k = 0; k < n / 4; k++) {
                node *nd = &c->nodes[ni + k];
                nd->left = (int)values[4 * k];
                nd->right = (int)values[4 * k + 1];
                nd->feature = (int)values[4 * k + 2];
                nd->threshold = (float)values[4 * k + 3];
                if (nd->left >= n / 4 || nd->right >= n / 4 || -nd->left >= nl ||
                    -nd->right >= nl)
                    return nd_fail("%s: stage %d has a tree node pointing outside its tree",
                                   path, si);
            }
            for (int k = 0; k < nl; k++)
                c->leaves[li + k] = (float)leaves[k];
            ni += n / 4;
            li += nl;
            ti++;
        }
        c->stages[si].num_trees = ti - c->stages[si].first_tree;
        si++;
    }
    return 0;
}

static int parse_features(nd_cascade *c, xmlNode *features, const char *path) {
    c->num_features = count_items(features);
    c->features = nd_calloc(c->num_features, sizeof(feature));
    int fi = 0;
    for (xmlNode *f = features->children; f; f = f->next) {
        if (f->type != XML_ELEMENT_NODE)
            continue;
        int tilted = 0;
        if (child(f, "tilted") && read_int(f, "tilted", &tilted) == 0 && tilted)
            return nd_fail("%s: feature %d uses tilted rectangles, which this detector "
                           "does not evaluate; use an upright cascade such as "
                           "haarcascade_frontalface_default.xml",
                           path, fi);
        feature *ft = &c->features[fi];
        xmlNode *rects = child(f, "rects");
        for (xmlNode *r = rects ? rects->children : NULL; r; r = r->next) {
            if (r->type != XML_ELEMENT_NODE)
                continue;
            double v[5];
            if (ft->count == MAX_RECTS || read_numbers(r, v, 5) != 5)
                return nd_fail("%s: feature %d needs 1 to %d rectangles of "
                               "\"x y w h weight\"",
                               path, fi, MAX_RECTS);
            int k = ft->count++;
            ft->x[k] = (int)v[0], ft->y[k] = (int)v[1];
            ft->w[k] = (int)v[2], ft->h[k] = (int)v[3];
            ft->weight[k] = (float)v[4];
            if (ft->x[k] < 0 || ft->y[k] < 0 || ft->x[k] + ft->w[k] > c->win_w ||
                ft->y[k] + ft->h[k] > c->win_h)
                return nd_fail("%s: feature %d has a rectangle outside the %d x %d window",
                               path, fi, c->win_w, c->win_h);
        }
        if (ft->count == 0)
            return nd_fail("%s: feature %d has no rectangles", path, fi);
        fi++;
    }
    return 0;
}

nd_cascade *nd_cascade_load(const char *path) {
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                              XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    if (!doc) {
        nd_fail("%s: cannot read the cascade (missing file or invalid XML)", path);
        return NULL;
    }
    nd_cascade *c = nd_calloc(1, sizeof(*c));
    xmlNode *cascade = child(xmlDocGetRootElement(doc), "cascade");
    char kind[32] = "";
    xmlNode *type = child(cascade, "featureType");
    if (type) {
        xmlChar *t = xmlNodeGetContent(type);
        snprintf(kind, sizeof(kind), "%s", (const char *)t);
        xmlFree(t);
    }

    /* Header: OpenCV 4 format with Haar features. */
    int ok = 0;
    if (!cascade || !child(cascade, "stages") || !child(cascade, "features")) {
        nd_fail("%s: not a cascade in OpenCV 4 format (<cascade> with <stages> and "
                "<features>); older cascades can be converted with OpenCV's "
                "opencv_traincascade or replaced by haarcascade_frontalface_default.xml",
                path);
    } else if (strcmp(kind, "HAAR") != 0) {
        nd_fail("%s: feature type \"%s\" is not supported; use a Haar cascade", path, kind);
    } else if (read_int(cascade, "width", &c->win_w) != 0 ||
               read_int(cascade, "height", &c->win_h) != 0 || c->win_w < 3 ||
               c->win_h < 3) {
        nd_fail("%s: missing or invalid window <width>/<height>", path);
    } else if (parse_stages(c, child(cascade, "stages"), path) == 0 &&
               parse_features(c, child(cascade, "features"), path) == 0) {
        ok = 1;
    }

    /* Every node must name an existing feature. */
    for (int i = 0; ok && i < c->num_nodes; i++) {
        if (c->nodes[i].feature < 0 || c->nodes[i].feature >= c->num_features) {
            nd_fail("%s: a tree node uses feature %d of %d", path, c->nodes[i].feature,
                    c->num_features);
            ok = 0;
        }
    }
    if (ok && c->num_stages == 0) {
        nd_fail("%s: the cascade has no stages", path);
        ok = 0;
    }
    xmlFreeDoc(doc);
    if (!ok) {
        nd_cascade_free(c);
        return NULL;
    }
    nd_log_debug("cascade %s: %d stages, %d trees, %d features, window %d x %d", path,
                 c->num_stages, c->num_trees, c->num_features, c->win_w, c->win_h);
    return c;
}

void nd_cascade_free(nd_cascade *c) {
    if (!c)
        return;
    free(c->stages);
    free(c->trees);
    free(c->nodes);
    free(c->leaves);
    free(c->features);
    free(c);
}

const char *nd_cascade_default_path(void) {
    return NRDFER_OPENCV_DATA_DIR "/haarcascades/haarcascade_frontalface_alt2.xml";
}

void nd_cascade_window(const nd_cascade *c, int *width, int *height) {
    *width = c->win_w;
    *height = c->win_h;
}

void nd_detect_params_default(nd_detect_params *p) {
    p->scale_factor = 1.1;
    p->min_neighbors = 3;
    p->min_size = 0;
    p->max_size = 0;
}

/* ---- Image helpers ---- */

void nd_rgb_to_grey(const uint8_t *rgb, int w, int h, uint8_t *grey) {
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + 3 * i;
        grey[i] = (uint8_t)((p[0] * 4899 + p[1] * 9617 + p[2] * 1868 + 8192) >> 14);
    }
}

void nd_grey_equalize(uint8_t *grey, int w, int h) {
    size_t n = (size_t)w * h, hist[256] = {0};
    for (size_t i = 0; i < n; i++)
        hist[grey[i]]++;

    /* The darkest level present maps to 0, the cumulative count to 0..255. */
    int first = 0;
    while (first < 255 && hist[first] == 0)
        first++;
    if (hist[first] == n)
        return;
    uint8_t lut[256] = {0};
    float scale = 255.0f / (float)(n - hist[first]);
    size_t sum = 0;
    for (int i = first + 1; i < 256; i++) {
        sum += hist[i];
        int v = (int)lrintf((float)sum * scale);
        lut[i] = (uint8_t)(v > 255 ? 255 : v);
    }
    for (size_t i = 0; i < n; i++)
        grey[i] = lut[grey[i]];
}

void nd_grey_shrink(const uint8_t *src, int w, int h, uint8_t *dst, int out_w, int out_h) {
    double sx = (double)w / out_w, sy = (double)h / out_h;
    for (int y = 0; y < out_h; y++) {
        int y0 = (int)(y * sy), y1 = (int)((y + 1) * sy);
        if (y1 <= y0)
            y1 = y0 + 1;
        if (y1 > h)
            y1 = h;
        for (int x = 0; x < out_w; x++) {
            int x0 = (int)(x * sx), x1 = (int)((x + 1) * sx);
            if (x1 <= x0)
                x1 = x0 + 1;
            if (x1 > w)
                x1 = w;
            unsigned sum = 0;
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++)
                    sum += src[(size_t)yy * w + xx];
            unsigned area = (unsigned)((y1 - y0) * (x1 - x0));
            dst[(size_t)y * out_w + x] = (uint8_t)((sum + area / 2) / area);
        }
    }
}

/* Interpolation weights of one output coordinate in 8-bit fixed point. */
static void linear_weights(int out, double scale, int size, int *index, int *w1) {
    double f = (out + 0.5) * scale - 0.5;
    int i = (int)floor(f);
    f -= i;
    if (i < 0) {
        i = 0;
        f = 0;
    }
    if (i >= size - 1) {
        i = size - 1;
        f = 0;
    }
    *index = i;
    *w1 = (int)nearbyint(f * 256);
}

/* Bilinear resize with pixel centres aligned (source x = (x + 0.5) * scale
 * - 0.5, clamped at the border) in the fixed-point arithmetic of OpenCV's
 * INTER_LINEAR_EXACT, which its cascade detector uses: weights of 8
 * fractional bits, a horizontal pass kept at 8 fractional bits, and a
 * vertical pass rounded from 16 fractional bits. */
static void grey_resize_linear(const uint8_t *src, int w, int h, uint8_t *dst, int out_w,
                               int out_h) {
    double sx = (double)w / out_w, sy = (double)h / out_h;
    int *x0 = nd_malloc(sizeof(int) * out_w);
    int *ax = nd_malloc(sizeof(int) * out_w);
    uint32_t *row0 = nd_malloc(sizeof(uint32_t) * out_w);
    uint32_t *row1 = nd_malloc(sizeof(uint32_t) * out_w);
    for (int x = 0; x < out_w; x++)
        linear_weights(x, sx, w, &x0[x], &ax[x]);

    for (int y = 0; y < out_h; y++) {
        int iy, ay;
        linear_weights(y, sy, h, &iy, &ay);
        const uint8_t *r0 = src + (size_t)iy * w;
        const uint8_t *r1 = iy + 1 < h ? r0 + w : r0;
        for (int x = 0; x < out_w; x++) {
            int ix = x0[x], ix1 = ix + 1 < w ? ix + 1 : ix;
            row0[x] = (uint32_t)(r0[ix] * (256 - ax[x]) + r0[ix1] * ax[x]);
            row1[x] = (uint32_t)(r1[ix] * (256 - ax[x]) + r1[ix1] * ax[x]);
        }
        for (int x = 0; x < out_w; x++) {
            uint32_t v = row0[x] * (uint32_t)(256 - ay) + row1[x] * (uint32_t)ay;
            v = (v + (1u << 15)) >> 16;
            dst[(size_t)y * out_w + x] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
    free(x0);
    free(ax);
    free(row0);
    free(row1);
}

/* ---- Evaluation ---- */

typedef struct hit_list {
    nd_rect *items;
    int count, cap;
} hit_list;

static void hit_push(hit_list *l, nd_rect r) {
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = nd_realloc(l->items, sizeof(nd_rect) * l->cap);
    }
    l->items[l->count++] = r;
}

/* A tree node with its feature resolved for one integral image stride:
 * corner offsets and weights of up to MAX_RECTS rectangles, stored in node
 * order so the scan reads memory sequentially. */
typedef struct level_node {
    int offsets[MAX_RECTS][4];
    float weight[MAX_RECTS];
    float threshold;
    int left, right;
} level_node;

/* Runs the cascade on the window at offset base of an integral image.
 * Feature values are float sums times inv_norm (1 / (area * standard
 * deviation)), compared with the node thresholds, in OpenCV's order of
 * operations. Returns 1 when every stage accepts. */
static int eval_window(const nd_cascade *c, const level_node *nodes, const int32_t *sum,
                       size_t base, float inv_norm) {
    const int32_t *p = sum + base;
    for (int s = 0; s < c->num_stages; s++) {
        const stage *st = &c->stages[s];
        float total = 0;
        for (int t = st->first_tree; t < st->first_tree + st->num_trees; t++) {
            const level_node *tree_nodes = nodes + c->trees[t].first_node;
            int idx = 0;
            do {
                const level_node *nd = &tree_nodes[idx];
                float value = 0;
                for (int k = 0; k < MAX_RECTS; k++) {
                    const int *o = nd->offsets[k];
                    value += nd->weight[k] * (float)(p[o[0]] - p[o[1]] - p[o[2]] + p[o[3]]);
                }
                idx = value * inv_norm < nd->threshold ? nd->left : nd->right;
            } while (idx > 0);
            total += c->leaves[c->trees[t].first_leaf - idx];
        }
        if (total < st->threshold)
            return 0;
    }
    return 1;
}

/* Scans one pyramid level (image already resized to w x h) with the given
 * step; hits are reported in the original image scale. */
static void scan_level(const nd_cascade *c, const uint8_t *img, int w, int h, float factor,
                       int step, hit_list *hits) {
    size_t stride = (size_t)w + 1;
    int32_t *sum = nd_calloc(stride * (h + 1), sizeof(int32_t));
    double *sqsum = nd_calloc(stride * (h + 1), sizeof(double));

    /* Integral and squared integral images, with a zero first row and column. */
    for (int y = 0; y < h; y++) {
        int32_t row = 0;
        double row_sq = 0;
        for (int x = 0; x < w; x++) {
            int v = img[(size_t)y * w + x];
            row += v;
            row_sq += (double)v * v;
            sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + row;
            sqsum[(y + 1) * stride + x + 1] = sqsum[y * stride + x + 1] + row_sq;
        }
    }

    /* Tree nodes with the corner offsets of their rectangles for this stride;
     * unused rectangles have weight 0 and offsets 0. */
    level_node *nodes = nd_calloc(c->num_nodes, sizeof(level_node));
    for (int i = 0; i < c->num_nodes; i++) {
        const feature *ft = &c->features[c->nodes[i].feature];
        level_node *ln = &nodes[i];
        ln->threshold = c->nodes[i].threshold;
        ln->left = c->nodes[i].left;
        ln->right = c->nodes[i].right;
        for (int k = 0; k < ft->count; k++) {
            ln->weight[k] = ft->weight[k];
            ln->offsets[k][0] = (int)(ft->y[k] * stride + ft->x[k]);
            ln->offsets[k][1] = (int)(ft->y[k] * stride + ft->x[k] + ft->w[k]);
            ln->offsets[k][2] = (int)((ft->y[k] + ft->h[k]) * stride + ft->x[k]);
            ln->offsets[k][3] = (int)((ft->y[k] + ft->h[k]) * stride + ft->x[k] + ft->w[k]);
        }
    }

    /* Variance normalisation over the window shrunk by one pixel per side. */
    int nw = c->win_w - 2, nh = c->win_h - 2;
    double area = (double)nw * nh;
    int win_w = (int)lrintf(c->win_w * factor), win_h = (int)lrintf(c->win_h * factor);
    for (int y = 0; y + c->win_h <= h; y += step) {
        for (int x = 0; x + c->win_w <= w; x += step) {
            size_t a = (y + 1) * stride + x + 1, b = a + nw, cc = a + nh * stride,
                   d = cc + nw;
            double s = (double)(sum[a] - sum[b] - sum[cc] + sum[d]);
            double sq = sqsum[a] - sqsum[b] - sqsum[cc] + sqsum[d];
            double norm = area * sq - s * s;
            norm = norm > 0 ? sqrt(norm) : 1.0;
            if (eval_window(c, nodes, sum, (size_t)y * stride + x, (float)(1.0 / norm))) {
                nd_rect r = {(int)lrintf(x * factor), (int)lrintf(y * factor), win_w, win_h};
                hit_push(hits, r);
            }
        }
    }
    free(nodes);
    free(sum);
    free(sqsum);
}

/* ---- Grouping, as cv::groupRectangles ---- */

static int similar(nd_rect a, nd_rect b, double eps) {
    double delta = eps * (fmin(a.w, b.w) + fmin(a.h, b.h)) * 0.5;
    return abs(a.x - b.x) <= delta && abs(a.y - b.y) <= delta &&
           abs(a.x + a.w - b.x - b.w) <= delta && abs(a.y + a.h - b.y - b.h) <= delta;
}

static int find_root(int *parent, int i) {
    while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
    return i;
}

static int compare_rects(const void *pa, const void *pb) {
    const nd_rect *a = pa, *b = pb;
    if (a->y != b->y)
        return a->y - b->y;
    if (a->x != b->x)
        return a->x - b->x;
    return a->w - b->w;
}

static int group_rects(const nd_rect *rects, int n, int min_neighbors, double eps,
                       nd_rect **out) {
    int *parent = nd_malloc(sizeof(int) * (n ? n : 1));
    for (int i = 0; i < n; i++)
        parent[i] = i;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (similar(rects[i], rects[j], eps)) {
                int a = find_root(parent, i), b = find_root(parent, j);
                if (a != b)
                    parent[b] = a;
            }

    /* Average rectangle and hit count of every class. */
    double *acc = nd_calloc((size_t)(n ? n : 1) * 4, sizeof(double));
    int *weight = nd_calloc(n ? n : 1, sizeof(int));
    for (int i = 0; i < n; i++) {
        int r = find_root(parent, i);
        acc[4 * r] += rects[i].x, acc[4 * r + 1] += rects[i].y;
        acc[4 * r + 2] += rects[i].w, acc[4 * r + 3] += rects[i].h;
        weight[r]++;
    }
    nd_rect *avg = nd_malloc(sizeof(nd_rect) * (n ? n : 1));
    for (int i = 0; i < n; i++) {
        if (weight[i] == 0)
            continue;
        float s = 1.0f / (float)weight[i];
        avg[i] = (nd_rect){(int)lrintf((float)acc[4 * i] * s),
                           (int)lrintf((float)acc[4 * i + 1] * s),
                           (int)lrintf((float)acc[4 * i + 2] * s),
                           (int)lrintf((float)acc[4 * i + 3] * s)};
    }

    /* Keep classes with more than min_neighbors hits that do not sit inside
     * a stronger class. */
    nd_rect *grouped = nd_malloc(sizeof(nd_rect) * (n ? n : 1));
    int count = 0;
    for (int i = 0; i < n; i++) {
        int n1 = weight[i];
        if (n1 == 0 || n1 <= min_neighbors)
            continue;
        nd_rect r1 = avg[i];
        int inside = 0;
        for (int j = 0; j < n && !inside; j++) {
            int n2 = weight[j];
            if (j == i || n2 <= min_neighbors)
                continue;
            nd_rect r2 = avg[j];
            int dx = (int)lrint(r2.w * eps), dy = (int)lrint(r2.h * eps);
            inside = r1.x >= r2.x - dx && r1.y >= r2.y - dy &&
                     r1.x + r1.w <= r2.x + r2.w + dx && r1.y + r1.h <= r2.y + r2.h + dy &&
                     (n2 > (n1 > 3 ? n1 : 3) || n1 < 3);
        }
        if (!inside)
            grouped[count++] = r1;
    }
    free(parent);
    free(acc);
    free(weight);
    free(avg);
    qsort(grouped, count, sizeof(nd_rect), compare_rects);
    *out = grouped;
    return count;
}

int nd_cascade_detect(const nd_cascade *c, const uint8_t *grey, int w, int h,
                      const nd_detect_params *params, nd_rect **faces) {
    nd_detect_params p;
    if (params)
        p = *params;
    else
        nd_detect_params_default(&p);
    ND_ASSERT(p.scale_factor > 1.0);
    int max_size = p.max_size > 0 ? p.max_size : (w > h ? w : h);

    /* Scales the image down step by step, as OpenCV 4 does, so the features
     * keep the 24 x 24 geometry they were trained on. Like OpenCV, the scale
     * of a level is a float and rounding goes half to even. */
    float factors[256];
    int levels = 0;
    for (double f = 1.0; levels < 256; f *= p.scale_factor) {
        float scale = (float)f;
        int sw = (int)lrintf((float)w / scale), sh = (int)lrintf((float)h / scale);
        int win_w = (int)lrint(c->win_w * f), win_h = (int)lrint(c->win_h * f);
        if (win_w > max_size || win_h > max_size)
            break;
        if (sw - c->win_w + 1 <= 0 || sh - c->win_h + 1 <= 0)
            break;
        if (win_w < p.min_size || win_h < p.min_size)
            continue;
        factors[levels++] = scale;
    }

    /* Levels are independent: each thread collects its own hits. */
    hit_list *per_level = nd_calloc(levels ? levels : 1, sizeof(hit_list));
#pragma omp parallel for schedule(dynamic, 1)
    for (int l = 0; l < levels; l++) {
        float f = factors[l];
        int sw = (int)lrintf((float)w / f), sh = (int)lrintf((float)h / f);
        uint8_t *img = nd_malloc((size_t)sw * sh);
        grey_resize_linear(grey, w, h, img, sw, sh);
        scan_level(c, img, sw, sh, f, f >= 2.0f ? 1 : 2, &per_level[l]);
        free(img);
    }

    hit_list all = {0};
    for (int l = 0; l < levels; l++) {
        for (int i = 0; i < per_level[l].count; i++)
            hit_push(&all, per_level[l].items[i]);
        free(per_level[l].items);
    }
    free(per_level);
    int count = group_rects(all.items, all.count, p.min_neighbors, 0.2, faces);
    free(all.items);
    return count;
}
