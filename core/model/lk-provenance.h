/* lk-provenance.h — which weights made a result: the model's revision, the
 * SHA-256 of every file in its folder, the program and runtime. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The SHA-256 (hex) of @path, read through symbolic links. Computed once per
 * file and kept in a cache (the user cache folder's likeness/sha256.json),
 * keyed by path, size, modification time and inode, so that a run does not
 * read hundreds of MB again. NULL with an error naming @path. */
char       *lk_file_sha256        (const char  *path,
                                   GError     **error);

/* Files hashed (read whole) since the program started: for the tests. */
guint       lk_file_sha256_count  (void);

/* A new object describing the model folder @dir: "source" ("hub cache" or
 * "local folder"), "revision" (the snapshot's commit, or null), "files"
 * (relative path → SHA-256 of every regular file in @dir and its
 * subfolders) and "weights_sha256" (of model.safetensors or
 * pytorch_model.bin). */
JsonObject *lk_provenance_of_model (const char  *dir,
                                    GError     **error);

/* Verifies that the image a result was made from (extra "image" or a distance
 * map's "image": absolute_path and sha256) is unchanged. FALSE with an error
 * saying both hashes when it changed; TRUE when it matches or the result
 * records no image or no hash (an older result: @unchecked is set). */
gboolean    lk_provenance_check_image (JsonObject  *image,
                                       gboolean    *unchecked,
                                       GError     **error);

G_END_DECLS
