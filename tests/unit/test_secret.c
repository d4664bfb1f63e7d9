/*
 * Unit tests of core/secret/: key files and CONNHUB_MASTER_KEY, envelopes
 * bound to account, connector and place, rotation, verifiers, the secret
 * pointers of a schema, masking and wiping.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include <connhub/plugin.h>

#include "secret/secret.h"
#include "check_run.h"

#define ERRLEN 512

/* ---- helpers ---- */

static json_object *parse(const char *text)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	ck_assert_ptr_nonnull(tok);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	ck_assert_msg(json_tokener_get_error(tok) == json_tokener_success, "bad test JSON: %s", text);
	json_tokener_free(tok);
	return o;
}

static const char *text_of(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* The keyring tests' directories live in one base directory that an
 * unchecked fixture (run by the parent process) removes, so a test that
 * fails half way leaves nothing behind in /tmp. */
static char base_dir[] = "/tmp/ch_secret_XXXXXX";

/* Removes @p path, a file or a directory and all in it. */
static void rm_tree(const char *path)
{
	char sub[1024];
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	for (e = readdir(d); e; e = readdir(d)) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

static void base_setup(void)
{
	if (!mkdtemp(base_dir))
		abort();
}

static void base_teardown(void)
{
	rm_tree(base_dir);
	memcpy(base_dir + sizeof(base_dir) - 7, "XXXXXX", 6); /* ready for another run */
}

/* A new temporary directory in the base one (malloc'd). */
static char *tmpdir_new(void)
{
	size_t size = strlen(base_dir) + 16;
	char *dir = malloc(size);

	ck_assert_ptr_nonnull(dir);
	snprintf(dir, size, "%s/t_XXXXXX", base_dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* Number of entries in @p dir, besides "." and "..". */
static int dir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	for (e = readdir(d); e; e = readdir(d))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Removes @p dir and the files in it, and frees the name. */
static void tmpdir_free(char *dir)
{
	char path[512];
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	for (e = readdir(d); e; e = readdir(d)) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ck_assert_int_eq(unlink(path), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
	free(dir);
}

static char *path_in(const char *dir, const char *name)
{
	size_t size = strlen(dir) + strlen(name) + 2;
	char *p = malloc(size);

	ck_assert_ptr_nonnull(p);
	snprintf(p, size, "%s/%s", dir, name);
	return p;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole file, malloc'd. */
static char *read_text(const char *path)
{
	char *buf = calloc(1, 4096);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, 4095);
	ck_assert_int_ge(n, 0);
	close(fd);
	return buf;
}

static unsigned file_mode(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Base64 of @p n bytes of value @p fill, in a static buffer per slot. */
static const char *b64_of(int slot, unsigned char fill, size_t n)
{
	static char out[4][128];
	unsigned char bin[64];

	ck_assert_uint_le(n, sizeof(bin));
	memset(bin, fill, n);
	sodium_bin2base64(out[slot], sizeof(out[slot]), bin, n, sodium_base64_VARIANT_ORIGINAL);
	return out[slot];
}

static ch_keyring *load_env_ok(const char *text)
{
	char err[ERRLEN] = "";
	ch_keyring *ring = NULL;
	int rc = ch_keyring_load(&ring, NULL, text, 0, err, sizeof(err));

	ck_assert_msg(rc == CH_OK, "load env: rc %d: %s", rc, err);
	ck_assert_ptr_nonnull(ring);
	return ring;
}

static ch_keyring *load_file_ok(const char *path, int create)
{
	char err[ERRLEN] = "";
	ch_keyring *ring = NULL;
	int rc = ch_keyring_load(&ring, path, NULL, create, err, sizeof(err));

	ck_assert_msg(rc == CH_OK, "load %s: rc %d: %s", path, rc, err);
	ck_assert_ptr_nonnull(ring);
	return ring;
}

/* A ring of one key, kid 1, all bytes @p fill. */
static ch_keyring *ring_of(int kid, unsigned char fill)
{
	char text[160]; /* a kid, ':' and up to 127 characters of base64 */

	snprintf(text, sizeof(text), "%d:%s", kid, b64_of(0, fill, 32));
	return load_env_ok(text);
}

static void seal_ok(const ch_keyring *ring, json_object *doc, const char *pointers,
		    const char *account, const char *connector)
{
	json_object *list = parse(pointers);
	int rc = ch_secret_seal(ring, doc, list, account, connector);

	ck_assert_msg(rc == CH_OK, "seal %s: rc %d", pointers, rc);
	json_object_put(list);
}

static void open_ok(const ch_keyring *ring, json_object *doc, const char *account,
		    const char *connector)
{
	char err[ERRLEN] = "";
	int rc = ch_secret_open_all(ring, doc, account, connector, err, sizeof(err));

	ck_assert_msg(rc == CH_OK, "open: rc %d: %s", rc, err);
}

static json_object *at(json_object *doc, const char *ptr)
{
	json_object *v = NULL;

	ck_assert_msg(json_pointer_get(doc, ptr, &v) == 0, "no %s in %s", ptr, text_of(doc));
	return v;
}

static int kid_at(json_object *doc, const char *ptr)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/$secret/kid", ptr);
	return json_object_get_int(at(doc, p));
}

static json_object *copy_of(json_object *v)
{
	json_object *copy = NULL;

	ck_assert_int_eq(json_object_deep_copy(v, &copy, NULL), 0);
	return copy;
}

static void assert_envelope(json_object *doc, const char *ptr)
{
	ck_assert_msg(ch_secret_is_envelope(at(doc, ptr)), "%s is not sealed in %s", ptr,
		      text_of(doc));
}

static void assert_equal(json_object *got, json_object *want)
{
	char *g = strdup(text_of(got));

	ck_assert_msg(json_object_equal(got, want), "got %s\nwant %s", g, text_of(want));
	free(g);
}

/* ---- key files and CONNHUB_MASTER_KEY ---- */

START_TEST(keyfile_created_0600_and_reloaded)
{
	char *dir = tmpdir_new(), *key = path_in(dir, "master.key"), *text;
	ch_keyring *a = load_file_ok(key, 1), *b;
	json_object *doc = parse("{\"config\":{\"password\":\"hunter2\"}}");
	json_object *want = parse("{\"config\":{\"password\":\"hunter2\"}}");

	ck_assert_uint_eq(file_mode(key), 0600);
	ck_assert_int_eq(ch_keyring_active(a), 1);
	text = read_text(key);
	ck_assert_msg(strncmp(text, "1:", 2) == 0 && strlen(text) == 2 + 44 + 1 &&
			      count_lines(text) == 1,
		      "key file holds %zu bytes", strlen(text));
	free(text);
	b = load_file_ok(key, 0);
	ck_assert_int_eq(ch_keyring_active(b), 1);
	seal_ok(a, doc, "[\"/config/password\"]", "acct", "conn");
	assert_envelope(doc, "/config/password");
	open_ok(b, doc, "acct", "conn");
	assert_equal(doc, want);
	ch_keyring_free(a);
	ch_keyring_free(b);
	ch_secret_wipe(doc);
	json_object_put(want);
	free(key);
	tmpdir_free(dir);
}
END_TEST

START_TEST(keyfile_missing)
{
	char *dir = tmpdir_new(), *key = path_in(dir, "none.key");
	char err[ERRLEN] = "";
	ch_keyring *ring = (ch_keyring *)&err;

	ck_assert_int_eq(ch_keyring_load(&ring, key, NULL, 0, err, sizeof(err)), CH_E_NOTFOUND);
	ck_assert_ptr_null(ring);
	ck_assert_ptr_nonnull(strstr(err, key));
	ck_assert_int_eq(dir_count(dir), 0);
	ck_assert_int_eq(ch_keyring_load(&ring, NULL, NULL, 1, err, sizeof(err)), CH_E_INVALID);
	free(key);
	tmpdir_free(dir);
}
END_TEST

START_TEST(keyfile_open_to_others_is_forbidden)
{
	char *dir = tmpdir_new(), *key = path_in(dir, "master.key");
	char err[ERRLEN] = "", want[ERRLEN], line[160];
	ch_keyring *ring = NULL;

	snprintf(line, sizeof(line), "1:%s\n", b64_of(0, 7, 32));
	write_text(key, line, 0644);
	ck_assert_int_eq(ch_keyring_load(&ring, key, NULL, 1, err, sizeof(err)), CH_E_FORBIDDEN);
	ck_assert_ptr_null(ring);
	snprintf(want, sizeof(want),
		 "key file %s is accessible by group or others (mode 0644); run chmod 600 %s", key,
		 key);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(strstr(err, b64_of(0, 7, 32)));
	chmod(key, 0640);
	ck_assert_int_eq(ch_keyring_load(&ring, key, NULL, 0, err, sizeof(err)), CH_E_FORBIDDEN);
	ck_assert_ptr_nonnull(strstr(err, "(mode 0640)"));
	chmod(key, 0600);
	ring = load_file_ok(key, 0);
	ch_keyring_free(ring);
	free(key);
	tmpdir_free(dir);
}
END_TEST

/* @p tmpl with "@32", "@31" and "@33" replaced by keys of that many bytes. */
static void expand(char *out, size_t size, const char *tmpl)
{
	size_t len = 0;
	const char *key;

	while (*tmpl && len + 1 < size) {
		key = NULL;
		if (strncmp(tmpl, "@32", 3) == 0)
			key = b64_of(0, 1, 32);
		else if (strncmp(tmpl, "@31", 3) == 0)
			key = b64_of(1, 2, 31);
		else if (strncmp(tmpl, "@33", 3) == 0)
			key = b64_of(2, 3, 33);
		if (key) {
			len += (size_t)snprintf(out + len, size - len, "%s", key);
			tmpl += 3;
		} else {
			out[len++] = *tmpl++;
		}
	}
	out[len] = '\0';
}

START_TEST(keyfile_malformed)
{
	static const struct {
		const char *tmpl;
		const char *why;
	} cases[] = {
		{"1:!!!!notbase64!!!!\n", "line 1: key is not valid base64"},
		{"# keys\n1:@31\n", "line 2: key is 31 bytes, not 32"},
		{"1:@33\n", "line 1: key is 33 bytes, not 32"},
		{"1:@32\n\n1:@32\n", "line 3: duplicate key id 1"},
		{"x:@32\n", "line 1: expected KID:BASE64 with a KID from 1 to 2147483647"},
		{"0:@32\n", "line 1: expected KID:BASE64 with a KID from 1 to 2147483647"},
		{"2147483648:@32\n", "line 1: expected KID:BASE64 with a KID from 1 to 2147483647"},
		{"-1:@32\n", "line 1: expected KID:BASE64 with a KID from 1 to 2147483647"},
		{"1:@32 extra\n", "line 1: key is not valid base64"},
		{"@32\n", "line 1: expected KID:BASE64 with a KID from 1 to 2147483647"},
		{"1:@32,2:@32\n", "line 1: key is not valid base64"},
	};
	char *dir = tmpdir_new(), *key = path_in(dir, "master.key");
	char err[ERRLEN], want[ERRLEN], text[512];
	ch_keyring *ring = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expand(text, sizeof(text), cases[i].tmpl);
		write_text(key, text, 0600);
		err[0] = '\0';
		ck_assert_int_eq(ch_keyring_load(&ring, key, NULL, 1, err, sizeof(err)),
				 CH_E_INVALID);
		ck_assert_ptr_null(ring);
		snprintf(want, sizeof(want), "key file %s %s", key, cases[i].why);
		ck_assert_msg(strcmp(err, want) == 0, "case %zu: got %s", i, err);
		ck_assert_ptr_null(strstr(err, b64_of(0, 1, 32)));
		ck_assert_ptr_null(strstr(err, b64_of(1, 2, 31)));
		ck_assert_ptr_null(strstr(err, b64_of(2, 3, 33)));
	}
	write_text(key, "# only a comment\n\n", 0600);
	ck_assert_int_eq(ch_keyring_load(&ring, key, NULL, 1, err, sizeof(err)), CH_E_INVALID);
	snprintf(want, sizeof(want), "key file %s holds no key", key);
	ck_assert_str_eq(err, want);
	free(key);
	tmpdir_free(dir);
}
END_TEST

START_TEST(keyfile_comments_and_order)
{
	char *dir = tmpdir_new(), *key = path_in(dir, "master.key");
	char text[512];
	ch_keyring *ring;

	snprintf(text, sizeof(text), "# connhub keys\n  7:%s \r\n\n\t# old\n3:%s", b64_of(0, 1, 32),
		 b64_of(1, 2, 32));
	write_text(key, text, 0600);
	ring = load_file_ok(key, 0);
	ck_assert_int_eq(ch_keyring_active(ring), 3);
	ck_assert(ch_keyring_has(ring, 7));
	ck_assert(ch_keyring_has(ring, 3));
	ck_assert(!ch_keyring_has(ring, 1));
	ch_keyring_free(ring);
	free(key);
	tmpdir_free(dir);
}
END_TEST

START_TEST(env_keys)
{
	char text[512], err[ERRLEN] = "";
	ch_keyring *ring, *one;
	json_object *doc = parse("{\"p\":\"v\"}");

	snprintf(text, sizeof(text), "1:%s\n2:%s\n", b64_of(0, 1, 32), b64_of(1, 2, 32));
	ring = load_env_ok(text);
	ck_assert_int_eq(ch_keyring_active(ring), 2);
	ck_assert(ch_keyring_has(ring, 1));
	ch_keyring_free(ring);

	snprintf(text, sizeof(text), "2:%s, 1:%s", b64_of(1, 2, 32), b64_of(0, 1, 32));
	ring = load_env_ok(text);
	ck_assert_int_eq(ch_keyring_active(ring), 1);
	ck_assert(ch_keyring_has(ring, 2));
	/* the same key given alone opens what the two-key ring sealed */
	seal_ok(ring, doc, "[\"/p\"]", "a", "c");
	ck_assert_int_eq(kid_at(doc, "/p"), 1);
	snprintf(text, sizeof(text), "1:%s", b64_of(0, 1, 32));
	one = load_env_ok(text);
	open_ok(one, doc, "a", "c");
	ck_assert_str_eq(json_object_get_string(at(doc, "/p")), "v");
	ch_keyring_free(one);
	ch_keyring_free(ring);
	ch_secret_wipe(doc);

	snprintf(text, sizeof(text), "1:%s,bad", b64_of(0, 1, 32));
	ck_assert_int_eq(ch_keyring_load(&ring, NULL, text, 0, err, sizeof(err)), CH_E_INVALID);
	ck_assert_str_eq(err, "CONNHUB_MASTER_KEY entry 2: expected KID:BASE64 with a KID from 1 "
			      "to 2147483647");
	ck_assert_int_eq(ch_keyring_load(&ring, "/nonexistent/key", "", 1, err, sizeof(err)),
			 CH_E_INVALID);
	ck_assert_str_eq(err, "CONNHUB_MASTER_KEY holds no key");
}
END_TEST

/* ---- sealing, opening, masking ---- */

START_TEST(seal_then_mask)
{
	ch_keyring *ring = ring_of(1, 9);
	json_object *doc = parse("{\"config\":{\"password\":\"hunter2\",\"host\":\"db\"},"
				 "\"variables\":[{\"value\":\"v0\"},{\"value\":\"s3cr3t\"}]}");
	json_object *want = parse("{\"config\":{\"password\":\"********\",\"host\":\"db\"},"
				  "\"variables\":[{\"value\":\"v0\"},{\"value\":\"********\"}]}");

	seal_ok(ring, doc, "[\"/config/password\",\"/variables/1/value\"]", "acct", "conn");
	assert_envelope(doc, "/config/password");
	assert_envelope(doc, "/variables/1/value");
	ck_assert_int_eq(kid_at(doc, "/config/password"), 1);
	ck_assert_ptr_null(strstr(text_of(doc), "hunter2"));
	ck_assert_ptr_null(strstr(text_of(doc), "s3cr3t"));
	ch_secret_mask_all(doc);
	assert_equal(doc, want);
	ch_secret_mask_all(NULL);
	json_object_put(doc);
	json_object_put(want);
	ch_keyring_free(ring);
}
END_TEST

START_TEST(round_trip_values)
{
	const char *text = "{\"config\":{\"s\":\"hunter2 \\u00e9\\\"/\",\"n\":42,\"d\":3.25,"
			   "\"o\":{\"a\":[1,\"x\"],\"b\":null},\"arr\":[true,{\"k\":\"v\"}],"
			   "\"a/b~c\":\"slash\",\"plain\":\"keep\"},"
			   "\"variables\":[{\"name\":\"A\",\"value\":\"va\"},"
			   "{\"name\":\"B\",\"value\":\"vb\"}]}";
	ch_keyring *ring = ring_of(1, 9);
	json_object *doc = parse(text), *want = parse(text);

	seal_ok(ring, doc,
		"[\"/config/s\",\"/config/n\",\"/config/d\",\"/config/o\",\"/config/arr\","
		"\"/config/a~1b~0c\",\"/variables/1/value\"]",
		"acct", "conn");
	assert_envelope(doc, "/config/s");
	assert_envelope(doc, "/config/n");
	assert_envelope(doc, "/config/d");
	assert_envelope(doc, "/config/o");
	assert_envelope(doc, "/config/arr");
	assert_envelope(doc, "/config/a~1b~0c");
	assert_envelope(doc, "/variables/1/value");
	ck_assert_str_eq(json_object_get_string(at(doc, "/config/plain")), "keep");
	ck_assert_str_eq(json_object_get_string(at(doc, "/variables/0/value")), "va");
	ck_assert_ptr_null(strstr(text_of(doc), "hunter2"));
	ck_assert_ptr_null(strstr(text_of(doc), "slash"));
	open_ok(ring, doc, "acct", "conn");
	assert_equal(doc, want);
	ch_secret_wipe(doc);
	json_object_put(want);
	ch_keyring_free(ring);
}
END_TEST

START_TEST(seal_leaves_what_it_should)
{
	ch_keyring *ring = ring_of(1, 9);
	json_object *doc = parse("{\"config\":{\"password\":null,\"user\":\"bob\","
				 "\"auth\":{\"token\":\"t\",\"kind\":\"bearer\"},\"list\":[\"x\"]}}");
	json_object *want = parse(text_of(doc)), *copy = NULL;
	unsigned char *plain = NULL;
	size_t len = 0;
	char *before;

	seal_ok(ring, doc,
		"[\"/config/password\",\"/config/missing\",\"/nothing/deep\",\"/config/user/x\","
		"\"/config/list/1\",\"/config/list/00\",\"/config/auth/token\",\"/config/auth\"]",
		"acct", "conn");
	ck_assert(json_object_object_get_ex(at(doc, "/config"), "password", &copy));
	ck_assert_ptr_null(copy); /* null is not sealed */
	ck_assert(!json_object_object_get_ex(at(doc, "/config"), "missing", NULL));
	ck_assert_str_eq(json_object_get_string(at(doc, "/config/user")), "bob");
	ck_assert_str_eq(text_of(at(doc, "/config/list")), "[\"x\"]");
	/* /config/auth is sealed whole, /config/auth/token (below it) not apart */
	assert_envelope(doc, "/config/auth");
	ck_assert_int_eq(ch_secret_open_text(&plain, &len, ring, at(doc, "/config/auth"),
					     "acct\nconn\n/config/auth"),
			 CH_OK);
	ck_assert_str_eq((const char *)plain, "{\"token\":\"t\",\"kind\":\"bearer\"}");
	ch_secret_plain_free(plain, len);
	/* sealing again does not double-seal */
	before = strdup(text_of(doc));
	seal_ok(ring, doc, "[\"/config/auth\",\"/config/auth/token\"]", "acct", "conn");
	ck_assert_str_eq(text_of(doc), before);
	free(before);
	open_ok(ring, doc, "acct", "conn");
	assert_equal(doc, want);
	ck_assert_str_eq(json_object_get_string(at(doc, "/config/auth/token")), "t");
	ch_secret_wipe(doc);
	json_object_put(want);
	ch_keyring_free(ring);
}
END_TEST

START_TEST(seal_rejects_bad_input)
{
	ch_keyring *ring = ring_of(1, 9);
	json_object *doc = parse("{\"a\":\"x\"}"), *list = parse("[\"/a\"]");
	json_object *bad[] = {parse("[\"a\"]"), parse("[\"/a~2\"]"), parse("[\"/a~\"]"),
			      parse("[42]"), parse("{\"p\":\"/a\"}"), parse("[\"\"]")};
	char err[ERRLEN] = "";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ch_secret_seal(ring, doc, bad[i], "acct", "conn") == CH_E_INVALID,
			      "list %s", text_of(bad[i]));
		json_object_put(bad[i]);
	}
	ck_assert_int_eq(ch_secret_seal(ring, doc, list, "ac\nct", "conn"), CH_E_INVALID);
	ck_assert_int_eq(ch_secret_seal(ring, doc, list, "acct", NULL), CH_E_INVALID);
	ck_assert_int_eq(ch_secret_seal(NULL, doc, list, "acct", "conn"), CH_E_INVALID);
	ck_assert_str_eq(json_object_get_string(at(doc, "/a")), "x");
	ck_assert_int_eq(ch_secret_open_all(ring, doc, "acct", "c\nonn", err, sizeof(err)),
			 CH_E_INVALID);
	json_object_put(list);
	json_object_put(doc);
	ch_keyring_free(ring);
}
END_TEST

START_TEST(envelope_bound_to_its_place)
{
	ch_keyring *ring = ring_of(1, 9);
	json_object *a = parse("{\"config\":{\"password\":\"hunter2\"}}"), *b, *env = NULL;
	char err[ERRLEN] = "";

	seal_ok(ring, a, "[\"/config/password\"]", "acct", "connA");
	/* copies: wiping a document zeroes the strings of what it shares */
	env = copy_of(at(a, "/config/password"));
	/* onto connector B's document */
	b = parse("{\"config\":{\"password\":\"\"}}");
	json_object_object_add(at(b, "/config"), "password", copy_of(env));
	ck_assert_int_eq(ch_secret_open_all(ring, b, "acct", "connB", err, sizeof(err)), CH_E_AUTH);
	ck_assert_str_eq(err, "secret at /config/password cannot be decrypted");
	ch_secret_wipe(b);
	/* onto another field of the same connector */
	b = parse("{\"config\":{\"user\":\"bob\"}}");
	json_object_object_add(at(b, "/config"), "other", copy_of(env));
	ck_assert_int_eq(ch_secret_open_all(ring, b, "acct", "connA", err, sizeof(err)), CH_E_AUTH);
	ck_assert_str_eq(err, "secret at /config/other cannot be decrypted");
	ch_secret_wipe(b);
	/* into an array element */
	b = parse("{\"config\":{\"password\":[]}}");
	json_object_array_add(at(b, "/config/password"), copy_of(env));
	ck_assert_int_eq(ch_secret_open_all(ring, b, "acct", "connA", err, sizeof(err)), CH_E_AUTH);
	ck_assert_str_eq(err, "secret at /config/password/0 cannot be decrypted");
	ch_secret_wipe(b);
	/* same place, another account */
	ck_assert_int_eq(ch_secret_open_all(ring, a, "acct2", "connA", err, sizeof(err)), CH_E_AUTH);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	/* and the right place still opens */
	open_ok(ring, a, "acct", "connA");
	ck_assert_str_eq(json_object_get_string(at(a, "/config/password")), "hunter2");
	ch_secret_wipe(a);
	json_object_put(env);
	ch_keyring_free(ring);
}
END_TEST

/* Flips one bit of the ciphertext of the envelope at @p ptr. */
static void tamper_ct(json_object *doc, const char *ptr)
{
	json_object *inner = at(at(doc, ptr), "/$secret");
	const char *ct = json_object_get_string(at(inner, "/ct"));
	unsigned char bin[256];
	char b64[400];
	size_t n = 0;

	ck_assert_int_eq(sodium_base642bin(bin, sizeof(bin), ct, strlen(ct), NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	bin[n / 2] ^= 0x10;
	sodium_bin2base64(b64, sizeof(b64), bin, n, sodium_base64_VARIANT_ORIGINAL);
	json_object_object_add(inner, "ct", json_object_new_string(b64));
}

START_TEST(tampered_and_unknown_kid)
{
	ch_keyring *ring = ring_of(1, 9);
	const char *text = "{\"config\":{\"password\":\"hunter2\"}}";
	json_object *doc = parse(text), *copy = NULL;
	char err[ERRLEN] = "";

	seal_ok(ring, doc, "[\"/config/password\"]", "acct", "conn");
	json_object_deep_copy(doc, &copy, NULL);
	tamper_ct(copy, "/config/password");
	ck_assert_int_eq(ch_secret_open_all(ring, copy, "acct", "conn", err, sizeof(err)), CH_E_AUTH);
	ck_assert_str_eq(err, "secret at /config/password cannot be decrypted");
	json_object_put(copy);

	copy = NULL;
	json_object_deep_copy(doc, &copy, NULL);
	json_object_object_add(at(copy, "/config/password/$secret"), "kid", json_object_new_int(7));
	ck_assert_int_eq(ch_secret_open_all(ring, copy, "acct", "conn", err, sizeof(err)),
			 CH_E_NOTFOUND);
	ck_assert_str_eq(err, "secret at /config/password is under key 7, which the keyring lacks");
	json_object_put(copy);

	copy = NULL;
	json_object_deep_copy(doc, &copy, NULL);
	json_object_object_add(at(copy, "/config/password/$secret"), "nonce",
			       json_object_new_string("AAAA"));
	ck_assert_int_eq(ch_secret_open_all(ring, copy, "acct", "conn", err, sizeof(err)),
			 CH_E_INVALID);
	ck_assert_str_eq(err, "secret at /config/password is not a valid envelope");
	json_object_put(copy);

	open_ok(ring, doc, "acct", "conn");
	ch_secret_wipe(doc);
	ch_keyring_free(ring);
}
END_TEST

START_TEST(rotation)
{
	const char *text = "{\"config\":{\"password\":\"hunter2\",\"n\":[1,2]},\"x\":\"clear\"}";
	char *dir = tmpdir_new(), *key = path_in(dir, "master.key"), *kid1_text, *now;
	char err[ERRLEN] = "";
	ch_keyring *ring = load_file_ok(key, 1), *fresh, *old;
	json_object *doc = parse(text), *want = parse(text), *copy = NULL;

	kid1_text = read_text(key);
	seal_ok(ring, doc, "[\"/config/password\",\"/config/n\"]", "acct", "conn");
	ck_assert_int_eq(kid_at(doc, "/config/password"), 1);

	ck_assert_msg(ch_keyring_add(ring, key, err, sizeof(err)) == CH_OK, "add: %s", err);
	ck_assert_int_eq(ch_keyring_active(ring), 2);
	ck_assert(ch_keyring_has(ring, 1));
	ck_assert_uint_eq(file_mode(key), 0600);
	now = read_text(key);
	ck_assert_int_eq(count_lines(now), 2);
	ck_assert_msg(strncmp(now, kid1_text, strlen(kid1_text)) == 0, "kid 1 line changed");
	ck_assert_msg(strncmp(now + strlen(kid1_text), "2:", 2) == 0, "no kid 2 line last");
	free(now);
	ck_assert_int_eq(dir_count(dir), 1); /* no temporary file left */

	ck_assert_msg(ch_secret_reseal_all(ring, doc, "acct", "conn", err, sizeof(err)) == CH_OK,
		      "reseal: %s", err);
	ck_assert_int_eq(kid_at(doc, "/config/password"), 2);
	ck_assert_int_eq(kid_at(doc, "/config/n"), 2);
	ck_assert_str_eq(json_object_get_string(at(doc, "/x")), "clear");

	ck_assert_msg(ch_keyring_retire_old(ring, key, err, sizeof(err)) == CH_OK, "retire: %s",
		      err);
	ck_assert(!ch_keyring_has(ring, 1));
	ck_assert_int_eq(ch_keyring_active(ring), 2);
	ck_assert_uint_eq(file_mode(key), 0600);
	now = read_text(key);
	ck_assert_int_eq(count_lines(now), 1);
	ck_assert_msg(strncmp(now, "2:", 2) == 0, "file does not hold kid 2 alone");
	free(now);
	ck_assert_int_eq(dir_count(dir), 1);

	old = load_env_ok(kid1_text);
	json_object_deep_copy(doc, &copy, NULL);
	ck_assert_int_eq(ch_secret_open_all(old, copy, "acct", "conn", err, sizeof(err)),
			 CH_E_NOTFOUND);
	ch_secret_wipe(copy);
	fresh = load_file_ok(key, 0);
	open_ok(fresh, doc, "acct", "conn");
	assert_equal(doc, want);

	ch_secret_wipe(doc);
	json_object_put(want);
	ch_keyring_free(ring);
	ch_keyring_free(fresh);
	ch_keyring_free(old);
	sodium_memzero(kid1_text, strlen(kid1_text));
	free(kid1_text);
	free(key);
	tmpdir_free(dir);
}
END_TEST

START_TEST(rotation_needs_a_file)
{
	ch_keyring *ring = ring_of(1, 9);
	char err[ERRLEN] = "";

	ck_assert_int_eq(ch_keyring_add(ring, NULL, err, sizeof(err)), CH_E_INVALID);
	ck_assert_int_eq(ch_keyring_add(ring, "/nonexistent-dir/key", err, sizeof(err)), CH_E_IO);
	ck_assert_int_eq(ch_keyring_active(ring), 1); /* unchanged */
	ck_assert(!ch_keyring_has(ring, 2));
	ch_keyring_free(ring);
}
END_TEST

START_TEST(reseal_leaves_active_and_fails_like_open)
{
	ch_keyring *ring = ring_of(1, 9), *other = ring_of(2, 3);
	json_object *doc = parse("{\"p\":\"v\"}");
	char *before;
	char err[ERRLEN] = "";

	seal_ok(ring, doc, "[\"/p\"]", "a", "c");
	before = strdup(text_of(doc));
	ck_assert_int_eq(ch_secret_reseal_all(ring, doc, "a", "c", err, sizeof(err)), CH_OK);
	ck_assert_str_eq(text_of(doc), before); /* already under the active key */
	ck_assert_int_eq(ch_secret_reseal_all(other, doc, "a", "c", err, sizeof(err)),
			 CH_E_NOTFOUND);
	ck_assert_str_eq(text_of(doc), before);
	free(before);
	json_object_put(doc);
	ch_keyring_free(ring);
	ch_keyring_free(other);
}
END_TEST

/* ---- verifiers ---- */

START_TEST(verifier)
{
	ch_keyring *ring = ring_of(1, 9), *other = ring_of(1, 8), *lacks = ring_of(2, 9);
	char *v = NULL, *bad = (char *)&v;

	ck_assert_int_eq(ch_keyring_verifier(ring, 1, &v), CH_OK);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(ch_keyring_check(ring, v), CH_OK);
	ck_assert_int_eq(ch_keyring_check(other, v), CH_E_AUTH);
	ck_assert_int_eq(ch_keyring_check(lacks, v), CH_E_NOTFOUND);
	ck_assert_int_eq(ch_keyring_check(ring, "not json"), CH_E_INVALID);
	ck_assert_int_eq(ch_keyring_check(ring, "{\"a\":1}"), CH_E_INVALID);
	ck_assert_int_eq(ch_keyring_verifier(ring, 2, &bad), CH_E_NOTFOUND);
	ck_assert_ptr_null(bad);
	free(v);
	ch_keyring_free(ring);
	ch_keyring_free(other);
	ch_keyring_free(lacks);
}
END_TEST

/* ---- secret pointers of a schema ---- */

static json_object *paths_of(const char *schema_text)
{
	char err[ERRLEN] = "";
	ch_schema *schema = NULL;
	json_object *paths;

	ck_assert_msg(ch_schema_compile_text(&schema, schema_text, err, sizeof(err)) == CH_OK,
		      "schema: %s", err);
	paths = ch_secret_schema_paths(schema);
	ch_schema_free(schema);
	return paths;
}

static void assert_paths(const char *schema_text, const char *want_text)
{
	json_object *got = paths_of(schema_text), *want = parse(want_text);

	ck_assert_ptr_nonnull(got);
	assert_equal(got, want);
	json_object_put(got);
	json_object_put(want);
}

START_TEST(schema_paths)
{
	assert_paths("{\"type\":\"object\",\"properties\":{"
		     "\"password\":{\"type\":\"string\",\"format\":\"password\"},"
		     "\"apikey\":{\"type\":\"string\",\"writeOnly\":true},"
		     "\"host\":{\"type\":\"string\",\"writeOnly\":false},"
		     "\"mail\":{\"type\":\"string\",\"format\":\"email\"},"
		     "\"auth\":{\"type\":\"object\",\"properties\":{"
		     "\"token\":{\"type\":\"string\",\"writeOnly\":true},"
		     "\"scheme\":{\"type\":\"string\"}}},"
		     "\"a/b~c\":{\"type\":\"string\",\"writeOnly\":true}}}",
		     "[\"/password\",\"/apikey\",\"/auth/token\",\"/a~1b~0c\"]");
	assert_paths("{\"type\":\"object\",\"properties\":{\"host\":{\"type\":\"string\"}}}", "[]");
}
END_TEST

START_TEST(schema_paths_refs_and_branches)
{
	assert_paths(
		"{\"type\":\"object\","
		"\"$defs\":{\"cred\":{\"type\":\"object\",\"properties\":{"
		"\"secret\":{\"type\":\"string\",\"writeOnly\":true},\"user\":{\"type\":\"string\"}}},"
		"\"pw\":{\"type\":\"string\",\"format\":\"password\"}},"
		"\"definitions\":{\"old\":{\"properties\":{\"key\":{\"writeOnly\":true}}}},"
		"\"properties\":{"
		"\"cred\":{\"$ref\":\"#/$defs/cred\"},"
		"\"db\":{\"$ref\":\"#/$defs/pw\"},"
		"\"legacy\":{\"$ref\":\"#/definitions/old\"},"
		"\"mode\":{\"oneOf\":["
		"{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\",\"format\":\"password\"}}},"
		"{\"type\":\"object\",\"properties\":{\"cert\":{\"type\":\"string\"}}}]},"
		"\"kind\":{\"type\":\"string\"}},"
		"\"allOf\":[{\"if\":{\"properties\":{\"kind\":{\"const\":\"pin\"}}},"
		"\"then\":{\"properties\":{\"pin\":{\"type\":\"string\",\"writeOnly\":true}}},"
		"\"else\":{\"properties\":{\"otp\":{\"writeOnly\":true}}}}],"
		"\"anyOf\":[{\"properties\":{\"db\":{\"writeOnly\":true}}},true],"
		"\"dependentSchemas\":{\"kind\":{\"properties\":{\"dep\":{\"writeOnly\":true}}}}}",
		"[\"/cred/secret\",\"/db\",\"/legacy/key\",\"/mode/key\",\"/pin\",\"/otp\",\"/dep\"]");
	/* a secret object is listed alone, whatever a branch says below it */
	assert_paths("{\"type\":\"object\",\"properties\":{\"auth\":{\"type\":\"object\","
		     "\"properties\":{\"x\":{\"writeOnly\":true}}}},"
		     "\"oneOf\":[{\"properties\":{\"auth\":{\"writeOnly\":true}}},{}]}",
		     "[\"/auth\"]");
}
END_TEST

START_TEST(schema_paths_recursion_and_size)
{
	char text[4096];
	size_t len;
	json_object *paths;

	assert_paths("{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{"
		     "\"pw\":{\"writeOnly\":true},\"child\":{\"$ref\":\"#/$defs/node\"}}}},"
		     "\"type\":\"object\",\"properties\":{\"root\":{\"$ref\":\"#/$defs/node\"}}}",
		     "[\"/root/pw\"]");
	/* 2^24 property paths: refused rather than enumerated */
	len = (size_t)snprintf(text, sizeof(text),
			       "{\"type\":\"object\",\"$ref\":\"#/$defs/d0\",\"$defs\":{");
	for (int i = 0; i < 24; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"\"d%d\":{\"properties\":{\"a\":{\"$ref\":\"#/$defs/d%d\"},"
					"\"b\":{\"$ref\":\"#/$defs/d%d\"}}},",
					i, i + 1, i + 1);
	snprintf(text + len, sizeof(text) - len, "\"d24\":{\"writeOnly\":true}}}");
	paths = paths_of(text);
	ck_assert_ptr_null(paths);
	ck_assert_ptr_null(ch_secret_schema_paths(NULL));
}
END_TEST

/* ---- wiping and threads ---- */

START_TEST(wipe_zeroes_strings)
{
	ch_keyring *ring = ring_of(1, 9);
	json_object *doc = parse("{\"config\":{\"password\":\"hunter2-long-enough-for-the-heap\","
				 "\"short\":\"pw\",\"list\":[\"in an array\"]}}");
	json_object *held[3];
	const char *s;

	seal_ok(ring, doc, "[\"/config/password\",\"/config/short\",\"/config/list\"]", "a", "c");
	open_ok(ring, doc, "a", "c");
	held[0] = json_object_get(at(doc, "/config/password"));
	held[1] = json_object_get(at(doc, "/config/short"));
	held[2] = json_object_get(at(doc, "/config/list/0"));
	ch_secret_wipe(doc);
	for (int i = 0; i < 3; i++) {
		s = json_object_get_string(held[i]);
		for (int j = 0; j < json_object_get_string_len(held[i]); j++)
			ck_assert_msg(s[j] == '\0', "string %d byte %d not wiped", i, j);
		json_object_put(held[i]);
	}
	ch_secret_wipe(NULL);
	ch_keyring_free(ring);
}
END_TEST

START_TEST(seal_wipes_the_value_it_replaces)
{
	ch_keyring *ring = ring_of(1, 9);
	json_object *doc = parse("{\"p\":\"hunter2\"}");
	json_object *held = json_object_get(at(doc, "/p"));

	seal_ok(ring, doc, "[\"/p\"]", "a", "c");
	ck_assert_int_eq(memcmp(json_object_get_string(held), "\0\0\0\0\0\0\0", 7), 0);
	json_object_put(held);
	json_object_put(doc);
	ch_keyring_free(ring);
}
END_TEST

static void *worker(void *arg)
{
	const ch_keyring *ring = arg;
	char err[ERRLEN];
	int ok = 1;

	for (int i = 0; ok && i < 50; i++) {
		json_object *doc = json_tokener_parse("{\"c\":{\"p\":\"hunter2\",\"q\":[1,{\"r\":2}]}}");
		json_object *list = json_tokener_parse("[\"/c/p\",\"/c/q\"]");

		ok = ch_secret_seal(ring, doc, list, "acct", "conn") == CH_OK &&
		     ch_secret_open_all(ring, doc, "acct", "conn", err, sizeof(err)) == CH_OK &&
		     strcmp(json_object_get_string(json_object_object_get(
				    json_object_object_get(doc, "c"), "p")),
			    "hunter2") == 0;
		json_object_put(list);
		ch_secret_wipe(doc);
	}
	return ok ? arg : NULL;
}

START_TEST(threads_share_a_ring)
{
	ch_keyring *ring = ring_of(1, 9);
	pthread_t t[4];
	void *res;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, ring), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_ptr_eq(res, ring);
	}
	ch_keyring_free(ring);
}
END_TEST

static Suite *secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("keyring");

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, keyfile_created_0600_and_reloaded);
	tcase_add_test(tc, keyfile_missing);
	tcase_add_test(tc, keyfile_open_to_others_is_forbidden);
	tcase_add_test(tc, keyfile_malformed);
	tcase_add_test(tc, keyfile_comments_and_order);
	tcase_add_test(tc, env_keys);
	tcase_add_test(tc, rotation);
	tcase_add_test(tc, rotation_needs_a_file);
	tcase_add_test(tc, verifier);
	suite_add_tcase(s, tc);

	tc = tcase_create("envelope");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, seal_then_mask);
	tcase_add_test(tc, round_trip_values);
	tcase_add_test(tc, seal_leaves_what_it_should);
	tcase_add_test(tc, seal_rejects_bad_input);
	tcase_add_test(tc, envelope_bound_to_its_place);
	tcase_add_test(tc, tampered_and_unknown_kid);
	tcase_add_test(tc, reseal_leaves_active_and_fails_like_open);
	tcase_add_test(tc, wipe_zeroes_strings);
	tcase_add_test(tc, seal_wipes_the_value_it_replaces);
	tcase_add_test(tc, threads_share_a_ring);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, schema_paths);
	tcase_add_test(tc, schema_paths_refs_and_branches);
	tcase_add_test(tc, schema_paths_recursion_and_size);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return ch_check_run(secret_suite()); }
