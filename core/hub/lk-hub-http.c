/* lk-hub-http.c — requests to the hub and its CDN: one session per
 * download, redirects followed by hand so the token stays with the hub,
 * and errors that name the URL and the status. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-download-private.h"

#define MAX_REDIRECTS 5
#define TIMEOUT_S 60

SoupSession *
lk_hub_session_new (void)
{
  SoupSession *session;

  session = soup_session_new_with_options ("user-agent", "likeness/" PACKAGE_VERSION,
                                           "timeout", TIMEOUT_S,
                                           "idle-timeout", TIMEOUT_S,
                                           NULL);
  /* Ranges and sizes must count the bytes of the file, not of an encoding. */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  return session;
}

static gboolean
same_origin (GUri *a, GUri *b)
{
  return g_strcmp0 (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
         && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
         && g_uri_get_port (a) == g_uri_get_port (b);
}

static GUri *
parse_http_uri (const char *url, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an http or https URL"), url);
      return NULL;
    }
  return g_steal_pointer (&uri);
}

/* Redirects are followed by hand (NO_REDIRECT) so that the token only ever
 * goes to the endpoint, never to a CDN it redirects to. */
static SoupMessage *
new_message (LkDownload *dl, const char *method, const char *url, GError **error)
{
  g_autoptr(GUri) uri = parse_http_uri (url, error);
  g_autoptr(GUri) endpoint = NULL;
  SoupMessageHeaders *headers;
  SoupMessage *msg;

  if (uri == NULL)
    return NULL;
  msg = soup_message_new_from_uri (method, uri);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");
  endpoint = g_uri_parse (dl->env->endpoint, SOUP_HTTP_URI_FLAGS, NULL);
  if (dl->env->token != NULL && endpoint != NULL && same_origin (uri, endpoint))
    {
      g_autofree char *auth = g_strconcat ("Bearer ", dl->env->token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
    }
  return msg;
}

gboolean
lk_hub_is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void
set_transport_error (GError **error, GError *cause, const char *url)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, cause);
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NETWORK,
                   _("Cannot reach %s: %s"), url, cause->message);
      g_error_free (cause);
    }
}

void
lk_hub_set_http_error (LkDownload *dl, GError **error, SoupMessage *msg, const char *url)
{
  guint status = soup_message_get_status (msg);
  const char *reason = soup_message_get_reason_phrase (msg);

  g_set_error (error, LK_ERROR, LK_ERROR_NETWORK,
               _("HTTP %u%s%s for %s (model “%s”)%s"),
               status, reason != NULL && *reason ? " " : "", reason != NULL ? reason : "",
               url, dl->id,
               status == 401 || status == 403
               ? _("; a gated or private model needs HF_TOKEN") : "");
}

char *
lk_hub_resolve_location (const char *base, const char *location, GError **error)
{
  char *url = g_uri_resolve_relative (base, location, SOUP_HTTP_URI_FLAGS, NULL);

  if (url == NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_NETWORK,
                 _("%s redirects to an invalid URL “%s”"), base, location);
  return url;
}

/* A HEAD stops at a redirect that carries X-Linked-Etag: that is the hub
 * sending an LFS file to its CDN, and those headers describe the file. */
GInputStream *
lk_hub_send (LkDownload *dl, const char *method, const char *url, goffset from,
             SoupMessage **msg_out, char **url_out, GError **error)
{
  g_autofree char *current = g_strdup (url);

  for (guint hops = 0; hops <= MAX_REDIRECTS; hops++)
    {
      g_autoptr(SoupMessage) msg = new_message (dl, method, current, error);
      g_autoptr(GInputStream) stream = NULL;
      GError *local_error = NULL;
      SoupMessageHeaders *headers;
      const char *location;
      char *next;

      if (msg == NULL)
        return NULL;
      if (from > 0)
        soup_message_headers_set_range (soup_message_get_request_headers (msg), from, -1);
      stream = soup_session_send (dl->session, msg, dl->cancellable, &local_error);
      if (stream == NULL)
        {
          set_transport_error (error, local_error, current);
          return NULL;
        }
      headers = soup_message_get_response_headers (msg);
      location = soup_message_headers_get_one (headers, "Location");
      if (!lk_hub_is_redirect (soup_message_get_status (msg)) || location == NULL
          || (g_str_equal (method, "HEAD")
              && soup_message_headers_get_one (headers, "X-Linked-Etag") != NULL))
        {
          *msg_out = g_steal_pointer (&msg);
          *url_out = g_steal_pointer (&current);
          return g_steal_pointer (&stream);
        }
      g_input_stream_close (stream, NULL, NULL);
      if ((next = lk_hub_resolve_location (current, location, error)) == NULL)
        return NULL;
      g_free (current);
      current = next;
    }
  g_set_error (error, LK_ERROR, LK_ERROR_NETWORK,
               _("Too many redirects from %s (model “%s”)"), url, dl->id);
  return NULL;
}

GBytes *
lk_hub_read_all (LkDownload *dl, GInputStream *stream, const char *url, GError **error)
{
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  GError *local_error = NULL;

  if (g_output_stream_splice (memory, stream,
                              G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                              dl->cancellable, &local_error) < 0)
    {
      set_transport_error (error, local_error, url);
      return NULL;
    }
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}
