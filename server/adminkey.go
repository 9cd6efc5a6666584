package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/strata-db/strata"
	"github.com/strata-db/strata/internal/system"
)

// sys is strata's privileged surface, bound to the one system table this
// package owns: _admin_keys, which holds the SHA-256 hash of the admin key
// (never the key).
var sys = system.Open[*strata.DB, *strata.Tx]()

const adminKeysTable = "_admin_keys"

// NewAdminKey returns a fresh random admin key: "strata-" and 32 random
// bytes in URL-safe base64.
func NewAdminKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("server: admin key: %w", err)
	}
	return "strata-" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// EnsureAdminKey makes sure db stores the hash of an admin key. When it
// stores none (or replace is set) it generates a key, stores its SHA-256
// hash in place of any older one and returns the key with created true:
// the only time the key can be shown. Otherwise it returns "" and false:
// the stored key cannot be recovered, only replaced.
func EnsureAdminKey(ctx context.Context, db *strata.DB, replace bool) (key string, created bool, err error) {
	err = db.Mutation(ctx, func(tx *strata.Tx) error {
		key, created = "", false
		old, err := tx.Table(adminKeysTable).Collect()
		if err != nil {
			return err
		}
		if len(old) > 0 && !replace {
			return nil
		}
		for _, d := range old {
			if err := sys.Delete(tx, d.ID()); err != nil {
				return err
			}
		}
		k, err := NewAdminKey()
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(k))
		if _, err := sys.Insert(tx, adminKeysTable, map[string]any{
			"sha256":    hex.EncodeToString(sum[:]),
			"createdAt": float64(time.Now().UnixMilli()),
		}); err != nil {
			return err
		}
		key, created = k, true
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("server: admin key: %w", err)
	}
	return key, created, nil
}

// storedAdminHashes returns the admin key hashes db stores.
func storedAdminHashes(ctx context.Context, db *strata.DB) ([][sha256.Size]byte, error) {
	var out [][sha256.Size]byte
	err := db.Query(ctx, func(tx *strata.Tx) error {
		out = out[:0]
		docs, err := tx.Table(adminKeysTable).Collect()
		if err != nil {
			return err
		}
		for _, d := range docs {
			s, _ := d.String("sha256")
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != sha256.Size {
				return fmt.Errorf("%s %s: malformed sha256 %q", adminKeysTable, d.ID(), s)
			}
			out = append(out, [sha256.Size]byte(b))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server: reading the admin key: %w", err)
	}
	return out, nil
}
