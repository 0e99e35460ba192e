/* gst-npywatermark
 * Copyright (C) 2026 gst-npywatermark authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 */

/* Preloaded into the ThreadSanitizer test runs (scripts/run-sanitizers):
 * tells TSan about GLib's synchronisation, which it cannot see.
 *
 * Debian's GLib is not built with TSan and its GMutex is a bare futex,
 * so every field guarded by GST_OBJECT_LOCK looks unguarded and TSan
 * reports a race on each.  These wrappers call the real function and
 * add the happens-before edges it implies: lock = acquire, unlock =
 * release, a GThreadPool/GAsyncQueue push happens before the pop or the
 * worker that gets it, a worker's end before g_thread_pool_free (wait)
 * returns.  Calls from GStreamer and from our code go through the PLT
 * and land here; GLib's calls to itself do not, and need not. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <glib.h>
#include <sanitizer/tsan_interface.h>

#define REAL(name)                                                          \
  static __typeof__ (name) * real_##name;                                   \
  if (G_UNLIKELY (real_##name == NULL))                                     \
    real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name)

void
g_mutex_lock (GMutex * mutex)
{
  REAL (g_mutex_lock);
  real_g_mutex_lock (mutex);
  __tsan_acquire (mutex);
}

gboolean
g_mutex_trylock (GMutex * mutex)
{
  gboolean locked;

  REAL (g_mutex_trylock);
  locked = real_g_mutex_trylock (mutex);
  if (locked)
    __tsan_acquire (mutex);
  return locked;
}

void
g_mutex_unlock (GMutex * mutex)
{
  REAL (g_mutex_unlock);
  __tsan_release (mutex);
  real_g_mutex_unlock (mutex);
}

void
g_rec_mutex_lock (GRecMutex * mutex)
{
  REAL (g_rec_mutex_lock);
  real_g_rec_mutex_lock (mutex);
  __tsan_acquire (mutex);
}

gboolean
g_rec_mutex_trylock (GRecMutex * mutex)
{
  gboolean locked;

  REAL (g_rec_mutex_trylock);
  locked = real_g_rec_mutex_trylock (mutex);
  if (locked)
    __tsan_acquire (mutex);
  return locked;
}

void
g_rec_mutex_unlock (GRecMutex * mutex)
{
  REAL (g_rec_mutex_unlock);
  __tsan_release (mutex);
  real_g_rec_mutex_unlock (mutex);
}

void
g_rw_lock_writer_lock (GRWLock * lock)
{
  REAL (g_rw_lock_writer_lock);
  real_g_rw_lock_writer_lock (lock);
  __tsan_acquire (lock);
}

void
g_rw_lock_writer_unlock (GRWLock * lock)
{
  REAL (g_rw_lock_writer_unlock);
  __tsan_release (lock);
  real_g_rw_lock_writer_unlock (lock);
}

void
g_rw_lock_reader_lock (GRWLock * lock)
{
  REAL (g_rw_lock_reader_lock);
  real_g_rw_lock_reader_lock (lock);
  __tsan_acquire (lock);
}

void
g_rw_lock_reader_unlock (GRWLock * lock)
{
  REAL (g_rw_lock_reader_unlock);
  __tsan_release (lock);
  real_g_rw_lock_reader_unlock (lock);
}

void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  REAL (g_cond_wait);
  __tsan_release (mutex);
  real_g_cond_wait (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  gboolean signalled;

  REAL (g_cond_wait_until);
  __tsan_release (mutex);
  signalled = real_g_cond_wait_until (cond, mutex, end_time);
  __tsan_acquire (mutex);
  return signalled;
}

void
g_async_queue_push (GAsyncQueue * queue, gpointer data)
{
  REAL (g_async_queue_push);
  __tsan_release (queue);
  real_g_async_queue_push (queue, data);
}

gpointer
g_async_queue_pop (GAsyncQueue * queue)
{
  gpointer data;

  REAL (g_async_queue_pop);
  data = real_g_async_queue_pop (queue);
  __tsan_acquire (queue);
  return data;
}

gpointer
g_async_queue_try_pop (GAsyncQueue * queue)
{
  gpointer data;

  REAL (g_async_queue_try_pop);
  data = real_g_async_queue_try_pop (queue);
  __tsan_acquire (queue);
  return data;
}

gpointer
g_async_queue_timeout_pop (GAsyncQueue * queue, guint64 timeout)
{
  gpointer data;

  REAL (g_async_queue_timeout_pop);
  data = real_g_async_queue_timeout_pop (queue, timeout);
  __tsan_acquire (queue);
  return data;
}

/* GLib's quark table: g_quark_from_string () and g_intern_string () copy
 * a new name into a block of their own, under GLib's G_LOCK
 * (quark_global), which GLib takes inside itself, out of our reach.
 * GStreamer makes quarks from every streaming thread (caps fields, tags,
 * structure names): TSan then sees one thread copy a name into the block
 * another thread allocated, with no order between them (a memcpy from a
 * static function of GLib, which no suppression can name).  A TSan-
 * visible lock around each entry point gives that order; GLib's lock
 * already serialises these calls, so it costs no concurrency. */
static pthread_mutex_t quark_lock = PTHREAD_MUTEX_INITIALIZER;

#define QUARK_WRAPPER(type, name, arg_type)                                 \
  type                                                                      \
  name (arg_type string)                                                    \
  {                                                                         \
    type result;                                                            \
                                                                            \
    REAL (name);                                                            \
    pthread_mutex_lock (&quark_lock);                                       \
    result = real_##name (string);                                          \
    pthread_mutex_unlock (&quark_lock);                                     \
    return result;                                                          \
  }

QUARK_WRAPPER (GQuark, g_quark_from_string, const gchar *);
QUARK_WRAPPER (GQuark, g_quark_from_static_string, const gchar *);
QUARK_WRAPPER (GQuark, g_quark_try_string, const gchar *);
QUARK_WRAPPER (const gchar *, g_intern_string, const gchar *);
QUARK_WRAPPER (const gchar *, g_intern_static_string, const gchar *);

/* Thread pools: the user's function runs behind a trampoline whose
 * address, never freed, carries the edges (the pool's own memory is
 * freed by g_thread_pool_free, which forgets its sync state). */
typedef struct
{
  GFunc func;
  gpointer user_data;
} Trampoline;

static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *pools;       /* GThreadPool * -> Trampoline * */

static Trampoline *
lookup (GThreadPool * pool)
{
  Trampoline *t;

  pthread_mutex_lock (&pools_lock);
  t = pools ? g_hash_table_lookup (pools, pool) : NULL;
  pthread_mutex_unlock (&pools_lock);
  return t;
}

static void
trampoline_func (gpointer data, gpointer user_data)
{
  Trampoline *t = user_data;

  __tsan_acquire (t);
  t->func (data, t->user_data);
  __tsan_release (t);
}

GThreadPool *
g_thread_pool_new (GFunc func, gpointer user_data, gint max_threads,
    gboolean exclusive, GError ** error)
{
  Trampoline *t = g_new (Trampoline, 1);
  GThreadPool *pool;

  REAL (g_thread_pool_new);
  t->func = func;
  t->user_data = user_data;
  pool = real_g_thread_pool_new (trampoline_func, t, max_threads, exclusive,
      error);
  if (pool == NULL)
    return NULL;
  pthread_mutex_lock (&pools_lock);
  if (pools == NULL)
    pools = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (pools, pool, t);
  pthread_mutex_unlock (&pools_lock);
  return pool;
}

gboolean
g_thread_pool_push (GThreadPool * pool, gpointer data, GError ** error)
{
  Trampoline *t = lookup (pool);

  REAL (g_thread_pool_push);
  if (t)
    __tsan_release (t);
  return real_g_thread_pool_push (pool, data, error);
}

void
g_thread_pool_free (GThreadPool * pool, gboolean immediate, gboolean wait_)
{
  Trampoline *t = lookup (pool);

  REAL (g_thread_pool_free);
  pthread_mutex_lock (&pools_lock);
  if (t)
    g_hash_table_remove (pools, pool);
  pthread_mutex_unlock (&pools_lock);
  real_g_thread_pool_free (pool, immediate, wait_);
  if (t)
    __tsan_acquire (t);
  /* t stays allocated: its address must not be reused by another pool
   * while TSan remembers it. */
}
