#ifndef TERRA_HANDOVER_H
#define TERRA_HANDOVER_H
/*
 * Handing a unit over (terra-register rekey, unitkey, import): a unit's key
 * rotated with the old key's signature, a key made for a unit another home
 * will hand over, and the unit's records taken into the new owner's home so
 * that it can run and retire it. See terra-register(1), terra-records(5).
 *
 * A rekey version keeps everything of the last one but unit_pub (the new
 * key), seq_from (the first usage seq the new key signs: this home's next
 * one) and updated_at; unit_sig is the old unit key's signature over it
 * (terra_unitchain_unit_sig), and the owner signs the whole as usual. It
 * is appended as a "rekey" entry.
 */
#include "err.h"
#include "home.h"
#include "key.h"

#include <jansson.h>

/*
 * Rotates the key of a unit this home owns and holds the key of. With
 * new_pub NULL a new key is made here: written beside the old one as
 * units/<id>.key.new, then renamed over it once the version is committed
 * (a key.new left by a crash is finished or removed by the next rekey).
 * With new_pub (64 hex: a key made by terra_handover_unitkey in the home
 * the unit goes to), the old key file is removed once committed. With dry,
 * nothing is written (the caller has begun a dry run). *unit: the version.
 */
int terra_handover_rekey(terra_home *h, const char *id, const char *new_pub, int dry, json_t **unit,
                         terra_err *e);

/* Makes units/<id>.key for a unit this home does not have yet (refused
 * when the file exists) and gives its public key, hex. */
int terra_handover_unitkey(terra_home *h, const char *id, char pub[TERRA_PK_HEX], terra_err *e);

/*
 * Takes the versions of one unit (records, in the order they take effect;
 * where[i] says where each was read, for messages) into this home: each
 * must chain from the last one this ledger has (the same version twice is
 * one), and the latest must be owned by this home's owner key. Appends the
 * new ones (kinds unit, transfer, rekey, retire) and makes the units row,
 * its usage seqs starting at the latest seq_from, in one transaction.
 * *added: how many were appended (0: nothing new).
 */
int terra_handover_import(terra_home *h, const json_t *versions, const char *const *where,
                          size_t *added, terra_err *e);

/*
 * terra-register import: the unit records of n files (terra-register
 * history -o json of the home that handed the units over; other records
 * are skipped), each unit's versions in the order read, imported as
 * terra_handover_import does. A bad line or a refused unit is reported
 * ("FILE:LINE: ...") and counted in *bad, and the other units go on; each
 * unit done is told with how many versions were added and whether this
 * home holds its key. -1 when a file cannot be read or the database fails.
 */
typedef struct terra_handover_io {
	void (*report)(void *ctx, const terra_err *e);
	void (*imported)(void *ctx, const char *id, size_t added, int key_held);
	void *ctx;
} terra_handover_io;
int terra_handover_import_files(terra_home *h, const char *const *paths, int n,
                                const terra_handover_io *io, long *bad, terra_err *e);

#endif
