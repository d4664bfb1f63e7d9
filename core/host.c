#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "keys.h"

/* mkdir -p with mode 0700 for the directories it creates. */
static int make_dirs(const char *path)
{
	char buf[CH_PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return ch_error_set(CH_E_INVALID, "bad directory name");
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return ch_error_set(CH_E_IO, "%s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return ch_error_set(CH_E_IO, "%s: %s", buf, strerror(errno));
	return CH_OK;
}

/* The data directory holds the database, the token key and usually the
 * master key: like PostgreSQL's, it must be the owner's alone. An existing
 * one others can enter is refused, not tightened behind the operator's
 * back (it may be shared on purpose, or be the wrong directory). */
static int check_dir_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return ch_error_set(CH_E_IO, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ch_error_set(CH_E_INVALID, "data directory %s is not a directory", path);
	if (st.st_mode & 077)
		return ch_error_set(CH_E_FORBIDDEN,
				    "data directory %s is accessible by group or others "
				    "(mode %04o); run chmod 700 %s",
				    path, (unsigned)(st.st_mode & 07777), path);
	return CH_OK;
}

static int lock_dir(ch_host *h, const char *data_dir)
{
	char path[CH_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/connhub.lock", data_dir);
	h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (h->lock_fd < 0)
		return ch_error_set(CH_E_IO, "%s: %s", path, strerror(errno));
	if (flock(h->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return ch_error_set(CH_E_CONFLICT,
				    "%s is in use by another connhub process (a running host?)",
				    data_dir);
	return CH_OK;
}

static int open_keys(ch_host *h, const ch_config *cfg)
{
	const char *env = getenv("CONNHUB_MASTER_KEY");
	char err[512];
	int rc = ch_keyring_load(&h->keys, cfg->key_file, env, 1, err, sizeof(err));

	if (rc != CH_OK)
		return ch_error_set(rc, "master key: %s", err);
	return ch_keys_verify(h->store, h->keys);
}

int ch_host_open(ch_host *h, const ch_config *cfg, int exclusive, int with_keys)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->lock_fd = -1;
	rc = make_dirs(cfg->data_dir);
	if (rc == CH_OK)
		rc = check_dir_mode(cfg->data_dir);
	if (rc == CH_OK && exclusive)
		rc = lock_dir(h, cfg->data_dir);
	if (rc == CH_OK)
		rc = ch_store_open_dir(&h->store, cfg->data_dir);
	if (rc == CH_OK)
		rc = ch_auth_key_load(h->token_key, cfg->data_dir);
	if (rc == CH_OK && with_keys)
		rc = open_keys(h, cfg);
	if (rc != CH_OK) {
		const ch_error *e = ch_error_last();
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", e->message);
		ch_host_close(h);
		ch_error_set(rc, "%s", msg);
	}
	return rc;
}

void ch_host_close(ch_host *h)
{
	ch_store_close(h->store);
	ch_keyring_free(h->keys);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	memset(h, 0, sizeof(*h));
	h->lock_fd = -1;
}

int ch_host_bootstrap(ch_host *h, char token[CH_TOKEN_LEN])
{
	char id[CH_ID_LEN], *done = NULL;
	int rc = ch_store_meta_get(h->store, "bootstrap.done", &done);

	free(done);
	if (rc == CH_OK)
		return 0;
	if (rc != CH_E_NOTFOUND)
		return rc;
	rc = ch_store_account_find(h->store, "default", id);
	if (rc == CH_E_NOTFOUND)
		rc = ch_store_account_create(h->store, "default", id);
	if (rc == CH_OK)
		rc = ch_auth_issue(h->store, h->token_key, id, 1, token);
	if (rc == CH_OK)
		rc = ch_store_meta_put(h->store, "bootstrap.done", "1");
	return rc == CH_OK ? 1 : rc;
}
