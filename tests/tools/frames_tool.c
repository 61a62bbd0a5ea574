/* Command-line access to the frame pipeline for the Python tests:
 *   decode IN OUT.ppm
 *   is-image NAME...                           (prints 1 or 0 per name)
 *   resize IN W H OUT.ppm [X0 Y0 X1 Y1]
 *   crop IN LEFT TOP W H OUT.ppm
 *   hflip IN OUT.ppm | brightness IN FACTOR OUT.ppm | rotate IN DEGREES OUT.ppm
 *   sample test|train N T SEED [POLICY]        (prints JSON)
 *   augment IN S SEED OUT.ppm                  (prints the draws as JSON)
 *   clip test|train T S POLICY SEED OUT.f32 FRAME...  (prints indices and draws
 *                                                      as JSON)
 * Images are read with nd_image_load and written as binary PPM. Exit status:
 * 0 ok, 1 failure (message on stderr), 2 usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "data/clip.h"
#include "data/image.h"
#include "data/resize.h"
#include "data/sampling.h"
#include "util/error.h"

static int usage(void) {
    fprintf(stderr, "usage: frames_tool decode|is-image|resize|crop|hflip|brightness|rotate|sample|"
                    "augment|clip ARGS (see the source header)\n");
    return 2;
}

static int fail(void) {
    fprintf(stderr, "error: %s\n", nd_last_error());
    return 1;
}

static int write_ppm(const char *path, const nd_image *image) {
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        nd_fail("cannot create '%s'", path);
        return -1;
    }
    fprintf(fp, "P6\n%d %d\n255\n", image->width, image->height);
    fwrite(image->rgb, 1, (size_t)image->width * image->height * 3, fp);
    return fclose(fp) == 0 ? 0 : nd_fail("cannot write '%s'", path);
}

/* Writes result to path and frees both images. */
static int finish(const char *path, nd_image *src, nd_image *result) {
    int rc = write_ppm(path, result);
    nd_image_free(src);
    nd_image_free(result);
    return rc < 0 ? fail() : 0;
}

static void print_indices(const int *indices, int t) {
    printf("\"indices\": [");
    for (int i = 0; i < t; i++)
        printf(i ? ", %d" : "%d", indices[i]);
    printf("]");
}

static void print_params(const nd_augment_params *p) {
    printf("{\"top\": %d, \"left\": %d, \"height\": %d, \"width\": %d, \"flip\": %d, "
           "\"brightness\": %.17g, \"angle\": %.17g}",
           p->crop_top, p->crop_left, p->crop_height, p->crop_width, p->flip, p->brightness,
           p->angle);
}

static int cmd_sample(int argc, char **argv) {
    if (argc < 6)
        return usage();
    nd_clip_options options = {strcmp(argv[2], "train") == 0, atoi(argv[4]), 1,
                               ND_SHORT_CLIP_SAMPLE};
    if (argc > 6 && nd_short_clip_parse(argv[6], &options.short_policy) < 0)
        return fail();
    nd_rng rng;
    nd_rng_seed(&rng, strtoull(argv[5], NULL, 10));
    int *indices = nd_malloc(sizeof(int) * (size_t)options.frames);
    int rc = nd_clip_sample(indices, atoi(argv[3]), &options, &rng, "sample");
    if (rc < 0) {
        free(indices);
        return fail();
    }
    printf("{\"result\": \"%s\"", rc == ND_CLIP_DROPPED ? "drop" : "use");
    if (rc == ND_CLIP_LOADED) {
        printf(", ");
        print_indices(indices, options.frames);
    }
    printf("}\n");
    free(indices);
    return 0;
}

static int cmd_augment(int argc, char **argv) {
    if (argc != 6)
        return usage();
    nd_image src, result;
    if (nd_image_load(argv[2], &src) < 0)
        return fail();
    nd_rng rng;
    nd_rng_seed(&rng, strtoull(argv[4], NULL, 10));
    nd_augment_params p;
    nd_augment_draw(&p, src.width, src.height, &rng);
    nd_augment_apply(&result, &src, &p, atoi(argv[3]));
    print_params(&p);
    printf("\n");
    return finish(argv[5], &src, &result);
}

static int cmd_clip(int argc, char **argv) {
    if (argc < 9)
        return usage();
    nd_clip_options options = {strcmp(argv[2], "train") == 0, atoi(argv[3]), atoi(argv[4]),
                               ND_SHORT_CLIP_SAMPLE};
    if (nd_short_clip_parse(argv[5], &options.short_policy) < 0)
        return fail();
    nd_rng rng;
    nd_rng_seed(&rng, strtoull(argv[6], NULL, 10));
    size_t floats = (size_t)options.frames * 3 * options.size * options.size;
    float *out = nd_malloc(sizeof(float) * floats);
    int *indices = nd_malloc(sizeof(int) * (size_t)options.frames);
    nd_clip_trace trace = {indices, {0}};
    int rc = nd_clip_load_files(out, &trace, (const char *const *)argv + 8, argc - 8,
                                &options, &rng);
    if (rc == ND_CLIP_LOADED) {
        FILE *fp = fopen(argv[7], "wb");
        if (!fp || fwrite(out, sizeof(float), floats, fp) != floats || fclose(fp) != 0)
            rc = nd_fail("cannot write '%s'", argv[7]);
    }
    if (rc >= 0) {
        printf("{\"result\": \"%s\"", rc == ND_CLIP_DROPPED ? "drop" : "use");
        if (rc == ND_CLIP_LOADED) {
            printf(", ");
            print_indices(indices, options.frames);
        }
        if (rc == ND_CLIP_LOADED && options.train) {
            printf(", \"augment\": ");
            print_params(&trace.augment);
        }
        printf("}\n");
    }
    free(out);
    free(indices);
    return rc < 0 ? fail() : 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "sample") == 0)
        return cmd_sample(argc, argv);
    if (strcmp(cmd, "augment") == 0)
        return cmd_augment(argc, argv);
    if (strcmp(cmd, "clip") == 0)
        return cmd_clip(argc, argv);
    if (strcmp(cmd, "is-image") == 0) {
        for (int i = 2; i < argc; i++)
            printf("%d\n", nd_image_is_image_name(argv[i]));
        return 0;
    }

    /* The remaining commands map one input image to one output image. */
    if (argc < 4)
        return usage();
    nd_image src, result;
    if (nd_image_load(argv[2], &src) < 0)
        return fail();
    if (strcmp(cmd, "decode") == 0 && argc == 4) {
        int rc = write_ppm(argv[3], &src);
        nd_image_free(&src);
        return rc < 0 ? fail() : 0;
    }
    if (strcmp(cmd, "resize") == 0 && (argc == 6 || argc == 10)) {
        nd_resize_box box;
        if (argc == 10)
            box = (nd_resize_box){strtof(argv[6], NULL), strtof(argv[7], NULL),
                                  strtof(argv[8], NULL), strtof(argv[9], NULL)};
        nd_resize_bilinear(&result, &src, argc == 10 ? &box : NULL, atoi(argv[3]),
                           atoi(argv[4]));
        return finish(argv[5], &src, &result);
    }
    if (strcmp(cmd, "crop") == 0 && argc == 8) {
        nd_image_crop(&result, &src, atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
                      atoi(argv[6]));
        return finish(argv[7], &src, &result);
    }
    if (strcmp(cmd, "hflip") == 0 && argc == 4) {
        nd_image_hflip(&result, &src);
        return finish(argv[3], &src, &result);
    }
    if (strcmp(cmd, "brightness") == 0 && argc == 5) {
        nd_image_brightness(&result, &src, strtod(argv[3], NULL));
        return finish(argv[4], &src, &result);
    }
    if (strcmp(cmd, "rotate") == 0 && argc == 5) {
        nd_image_rotate(&result, &src, strtod(argv[3], NULL));
        return finish(argv[4], &src, &result);
    }
    nd_image_free(&src);
    return usage();
}
