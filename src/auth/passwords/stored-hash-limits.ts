/**
 * Upper bounds on the cost parameters written inside a stored hash. A stored hash decides how much work a
 * login costs, so a hostile or corrupted import (say `m=4194304` or `pbkdf2_sha256$2000000000$...`) could make
 * every login for that user pin a thread-pool thread for minutes. Hashes beyond these bounds are never
 * verified (they count as a wrong password), and the hashing settings may not exceed them either, so Gatehouse
 * can always verify what it wrote.
 */

/**
 * 1 GiB. RFC 9106 §4 lists 2 GiB (t=1) as its first choice, but that is meant for dedicated machines; a login
 * server that needs more than 1 GiB per verification cannot serve concurrent logins anyway.
 */
export const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;

/**
 * Memory × passes, in KiB: the real cost of one argon2 run. 4 GiB-passes admits 1 GiB × 4, Django's default
 * 100 MiB × 2 with room to spare, and OWASP's 19 MiB × 2 many times over.
 */
export const MAX_ARGON2_WORK_KIB = 4 * 1024 * 1024;

/** Lanes: libargon2 runs up to this many threads for one hash. Django's default is 8. */
export const MAX_ARGON2_PARALLELISM = 64;

/** RFC 9106 §3.1: salts shorter than 8 bytes are refused by libargon2; 16 bytes is the recommended size. */
export const MIN_ARGON2_SALT_BYTES = 8;
export const MAX_ARGON2_SALT_BYTES = 1024;

/** libargon2 refuses tags shorter than 4 bytes; longer than 1 KiB is no password hash. */
export const MIN_ARGON2_HASH_BYTES = 4;
export const MAX_ARGON2_HASH_BYTES = 1024;

/**
 * 10 million. Django's own default grows each release (260 000 in 3.2, 600 000 in 4.2, 1 000 000 in 5.2 —
 * OWASP 2023 asks for 600 000 with HMAC-SHA256); ten times the newest leaves room for deployments that raised it.
 */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
