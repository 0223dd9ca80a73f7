/* lk-download-private.h — what the parts of a download share:
 * lk-download.c (the hub's protocol), lk-hub-http.c (requests),
 * lk-download-cache.c (writing blobs, links and refs into the cache). */
#pragma once

#include <libsoup/soup.h>

#include "lk-hf-cache.h"

G_BEGIN_DECLS

/* Downloads what a sentence-transformers model needs of @id at @revision into
 * the cache; returns the snapshot folder.  LK_ERROR_NOT_FOUND when the hub
 * does not know @id (HTTP 401 or 404 from its API). */
char       *lk_download_model            (const LkStoreEnv    *env,
                                          const char          *id,
                                          const char          *revision,
                                          LkDownloadProgress   progress,
                                          gpointer             progress_data,
                                          GCancellable        *cancellable,
                                          GError             **error);

#define LK_DOWNLOAD_CHUNK_SIZE (256 * 1024)

/* One file of the model as the hub describes it. */
typedef struct {
  char     *path;    /* in the repository, e.g. "1_Pooling/config.json" */
  char     *etag;    /* the blob's name: SHA-256 for LFS files, git SHA-1 otherwise */
  char     *url;     /* where the bytes are: the resolve URL or the CDN it redirects to */
  guint64   size;    /* 0 while unknown */
  gboolean  present; /* already in the snapshot */
} LkRemoteFile;

/* One download, owned by the thread that runs it. */
typedef struct {
  const LkStoreEnv   *env;
  const char         *id;
  SoupSession        *session;
  GCancellable       *cancellable;
  LkDownloadProgress  progress;
  gpointer            progress_data;
  char               *commit;
  char               *repo_dir;
  char               *snapshot_dir;
  GPtrArray          *files; /* of LkRemoteFile */
  guint64             done;  /* bytes, over all files */
  guint64             total;
} LkDownload;

SoupSession  *lk_hub_session_new     (void);
/* Sends @method to @url from byte @from on (0: all), following redirects;
 * a HEAD stops at the hub's redirect to its CDN, whose headers describe the
 * file.  *@msg_out gets the last response, *@url_out the URL it answered. */
GInputStream *lk_hub_send            (LkDownload    *dl,
                                      const char    *method,
                                      const char    *url,
                                      goffset        from,
                                      SoupMessage  **msg_out,
                                      char         **url_out,
                                      GError       **error);
GBytes       *lk_hub_read_all        (LkDownload    *dl,
                                      GInputStream  *stream,
                                      const char    *url,
                                      GError       **error);
/* LK_ERROR_NETWORK: "HTTP 404 Not Found for URL (model “ID”)". */
void          lk_hub_set_http_error  (LkDownload    *dl,
                                      GError       **error,
                                      SoupMessage   *msg,
                                      const char    *url);
gboolean      lk_hub_is_redirect     (guint          status);
char         *lk_hub_resolve_location (const char   *base,
                                       const char   *location,
                                       GError      **error);

/* blobs/<etag>, resumed and verified; counts into dl->done. */
gboolean      lk_download_fetch_blob (LkDownload    *dl,
                                      LkRemoteFile  *file,
                                      GError       **error);
/* snapshots/<commit>/<path> → the blob. */
gboolean      lk_download_link_file  (LkDownload    *dl,
                                      LkRemoteFile  *file,
                                      GError       **error);
/* refs/<revision> ← the commit. */
gboolean      lk_download_write_ref  (LkDownload    *dl,
                                      const char    *revision,
                                      GError       **error);

G_END_DECLS
