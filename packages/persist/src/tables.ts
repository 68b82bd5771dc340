/**
 * The store's tables: one record type per table and one descriptor per table that says how each
 * field is stored (column name, kind, nullability, whether it is sealed at rest) and which fields
 * form the primary key. Everything else (migrations, updates, reads, sealing, backups) is driven by
 * these descriptors, so a table is declared exactly once.
 *
 * Units: amounts are `bigint` (sats, or msat where the field name says so) and never negative,
 * heights and indexes are `number`, ids and hashes are `Uint8Array`. Txids (`txid`, `fundingTxid`,
 * `parentTxid`, `triggerTxid`) are display-order hex, 64 lower-case characters, as Bitcoin Core prints
 * them (schema version 2; version 1 stored internal-order bytes).
 *
 * Keys: every field of a primary key or of an index (bytes, or text measured in UTF-8) holds at most
 * {@link MAX_KEY_BYTES} bytes, on every backend alike (PostgreSQL's B-tree refuses entries above
 * ~2.7 kB; SQLite has no limit of its own).
 */

import { MAX_MONEY } from '@superscalar/core';

/**
 * Most bytes in one field of a primary key or index (bytes, or UTF-8 text). A longer value is refused
 * with `InvalidArgumentError` on SQLite and PostgreSQL alike.
 */
export const MAX_KEY_BYTES = 1024;

/** A factory: its serialized parameters, lifecycle state, funding outpoint and absolute timeout. */
export interface FactoryRecord {
  /** Factory id (e.g. the proposal hash). */
  factoryId: Uint8Array;
  /** The serialized factory proposal (parameters). */
  params: Uint8Array;
  /** Lifecycle state, owned by the role (e.g. `proposed`, `signed`, `active`, `dying`, `closed`). */
  state: string;
  /** Funding txid (display-order hex), once known. */
  fundingTxid: string | null;
  /** Funding output index, once known. */
  fundingVout: number | null;
  /** Absolute timeout height (CLTV) of the factory. */
  timeoutHeight: number;
}

/** A participant of a factory, by its index in the proposal. */
export interface ParticipantRecord {
  factoryId: Uint8Array;
  /** Index in the proposal's participant list (0 is the LSP). */
  index: number;
  /** 33-byte compressed public key used in this factory. */
  pubkey: Uint8Array;
  /** `lsp` or `client` (free text, owned by the role). */
  role: string;
}

/** A transaction of a factory's tree, with its fully signed bytes. */
export interface TreeTxRecord {
  /** Display-order hex (64 lower-case characters). */
  txid: string;
  factoryId: Uint8Array;
  /** The txid (display hex) of the tree transaction it spends, null for the root (spends the funding output). */
  parentTxid: string | null;
  /** `kickoff`, `state`, `poison`, `settlement`... (owned by the role). */
  kind: string;
  /** Signed transaction bytes. */
  signedTx: Uint8Array;
}

/** A leaf channel. */
export interface ChannelRecord {
  channelId: Uint8Array;
  factoryId: Uint8Array | null;
  localSats: bigint;
  remoteSats: bigint;
  /** The channel's commitment number (48-bit, a `number` like every counter). */
  commitmentNumber: number;
  state: string;
}

/** An HTLC of a channel, keyed by channel, direction and HTLC id. */
export interface HtlcRecord {
  channelId: Uint8Array;
  /** `offered` or `received`. */
  direction: string;
  htlcId: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
  state: string;
}

/** An invoice, by payment hash. The preimage is sealed at rest (a client's own invoices only). */
export interface InvoiceRecord {
  paymentHash: Uint8Array;
  /** Sealed at rest. Only in the store of the party that created the invoice. */
  preimage: Uint8Array | null;
  amountMsat: bigint | null;
  state: string;
  /** Expiry as Unix seconds, null for none. */
  expiresAt: number | null;
}

/**
 * A watchtower response: when `triggerTxid` confirms, `responseTx` may be broadcast from
 * `validFromHeight` (absolute) and/or `relativeLock` blocks after the trigger, with `secret` (sealed)
 * if the response needs one (e.g. an L-stock `s_c`). One trigger may have several responses.
 */
export interface WatchEntryRecord {
  /** Display-order hex (64 lower-case characters). */
  triggerTxid: string;
  responseIndex: number;
  factoryId: Uint8Array | null;
  /** `stale-state`, `poison`, `settlement`, `penalty`, `htlc-timeout`, `htlc-success`... */
  kind: string;
  responseTx: Uint8Array;
  validFromHeight: number | null;
  relativeLock: number | null;
  /** Sealed at rest. */
  secret: Uint8Array | null;
}

/** A revealed L-stock secret `s_c` of a factory (brief §5.3), keyed by the counter `c`. */
export interface LStockSecretRecord {
  factoryId: Uint8Array;
  /** The L-stock counter (a `number` like every counter). */
  c: number;
  /** Sealed at rest. */
  secret: Uint8Array;
}

/** A transaction this party broadcast or must keep broadcasting. */
export interface BroadcastRecord {
  /** Display-order hex (64 lower-case characters). */
  txid: string;
  rawTx: Uint8Array;
  purpose: string;
  state: string;
  firstHeight: number | null;
}

/** An entry of the append-only event journal; written with `{ op: 'event' }`, never updated. */
export interface EventRecord {
  /** The update that appended it. */
  updateId: bigint;
  /** Position within that update. */
  index: number;
  kind: string;
  payload: Uint8Array;
}

/** A versioned blob (a serialized state machine, a channel state...). Sealed at rest when `secret`. */
export interface BlobRecord {
  key: string;
  /** Format version of `data`, chosen by the writer. */
  version: number;
  data: Uint8Array;
  /** When true, `data` is sealed at rest. */
  secret: boolean;
}

/** Every table and its record type. */
export interface Tables {
  factories: FactoryRecord;
  participants: ParticipantRecord;
  treeTxs: TreeTxRecord;
  channels: ChannelRecord;
  htlcs: HtlcRecord;
  invoices: InvoiceRecord;
  watchEntries: WatchEntryRecord;
  lstockSecrets: LStockSecretRecord;
  broadcasts: BroadcastRecord;
  events: EventRecord;
  blobs: BlobRecord;
}

/** A table name. */
export type TableName = keyof Tables;
/** Tables written with `put`/`delete` (the journal is append-only). */
export type MutableTableName = Exclude<TableName, 'events'>;

/**
 * How a field is stored. `txid` is a display-order hex txid (64 lower-case characters), stored as
 * text; its canonical encoding (update MACs, sealing locations) is the 32 internal-order bytes.
 */
export type ColumnKind = 'bytes' | 'bigint' | 'int' | 'text' | 'bool' | 'txid';

/** One field's storage. */
export interface ColumnSpec {
  readonly field: string;
  readonly column: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /** Sealed at rest: always (`true`) or when the row's boolean field of that name is true. */
  readonly secret: boolean | string;
  /** Most bytes (bytes, or UTF-8 text) when the field is part of a key or index: {@link MAX_KEY_BYTES}. */
  readonly maxBytes?: number;
  /** Inclusive bounds of a `bigint` field (amounts: 0 to the money supply). */
  readonly min?: bigint;
  readonly max?: bigint;
}

/** One table's storage. */
export interface TableSpec {
  readonly name: TableName;
  readonly sqlName: string;
  readonly columns: readonly ColumnSpec[];
  /** Fields of the primary key, in order. */
  readonly key: readonly string[];
  /** Extra indexes (field lists) for the queries roles make. */
  readonly indexes: readonly (readonly string[])[];
}

/** The primary-key fields of each table. */
export interface TableKeys {
  factories: 'factoryId';
  participants: 'factoryId' | 'index';
  treeTxs: 'txid';
  channels: 'channelId';
  htlcs: 'channelId' | 'direction' | 'htlcId';
  invoices: 'paymentHash';
  watchEntries: 'triggerTxid' | 'responseIndex';
  lstockSecrets: 'factoryId' | 'c';
  broadcasts: 'txid';
  events: 'updateId' | 'index';
  blobs: 'key';
}

/** The primary key of a row of table `T`. */
export type KeyOf<T extends TableName> = Pick<Tables[T], TableKeys[T] & keyof Tables[T]>;

function col(
  field: string,
  kind: ColumnKind,
  opts: { nullable?: boolean; secret?: boolean | string; column?: string; min?: bigint; max?: bigint } = {},
): ColumnSpec {
  return {
    field,
    column: opts.column ?? field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    kind,
    nullable: opts.nullable ?? false,
    secret: opts.secret ?? false,
    ...(opts.min === undefined ? {} : { min: opts.min }),
    ...(opts.max === undefined ? {} : { max: opts.max }),
  };
}
const N = { nullable: true } as const;
/** Satoshi amounts: 0 to the money supply. */
const SATS = { min: 0n, max: MAX_MONEY } as const;
/** Millisatoshi amounts: 0 to the money supply. */
const MSAT = { min: 0n, max: MAX_MONEY * 1000n } as const;

/** Marks the fields of the primary key and of every index with {@link MAX_KEY_BYTES}. */
function keyed(t: TableSpec): TableSpec {
  const fields = new Set([...t.key, ...t.indexes.flat()]);
  return {
    ...t,
    columns: t.columns.map((c) =>
      fields.has(c.field) && (c.kind === 'bytes' || c.kind === 'text')
        ? { ...c, maxBytes: MAX_KEY_BYTES }
        : c,
    ),
  };
}

/** Descriptors of every table, in creation (and backup) order. */
export const TABLE_SPECS: readonly TableSpec[] = (
  [
    {
      name: 'factories',
      sqlName: 'factories',
      columns: [
        col('factoryId', 'bytes'),
        col('params', 'bytes'),
        col('state', 'text'),
        col('fundingTxid', 'txid', N),
        col('fundingVout', 'int', N),
        col('timeoutHeight', 'int'),
      ],
      key: ['factoryId'],
      indexes: [['state']],
    },
    {
      name: 'participants',
      sqlName: 'participants',
      columns: [
        col('factoryId', 'bytes'),
        col('index', 'int', { column: 'idx' }),
        col('pubkey', 'bytes'),
        col('role', 'text'),
      ],
      key: ['factoryId', 'index'],
      indexes: [['pubkey']],
    },
    {
      name: 'treeTxs',
      sqlName: 'tree_txs',
      columns: [
        col('txid', 'txid'),
        col('factoryId', 'bytes'),
        col('parentTxid', 'txid', N),
        col('kind', 'text'),
        col('signedTx', 'bytes'),
      ],
      key: ['txid'],
      indexes: [['factoryId'], ['parentTxid']],
    },
    {
      name: 'channels',
      sqlName: 'channels',
      columns: [
        col('channelId', 'bytes'),
        col('factoryId', 'bytes', N),
        col('localSats', 'bigint', SATS),
        col('remoteSats', 'bigint', SATS),
        col('commitmentNumber', 'int'),
        col('state', 'text'),
      ],
      key: ['channelId'],
      indexes: [['factoryId']],
    },
    {
      name: 'htlcs',
      sqlName: 'htlcs',
      columns: [
        col('channelId', 'bytes'),
        col('direction', 'text'),
        col('htlcId', 'bigint'),
        col('amountMsat', 'bigint', MSAT),
        col('paymentHash', 'bytes'),
        col('cltvExpiry', 'int'),
        col('state', 'text'),
      ],
      key: ['channelId', 'direction', 'htlcId'],
      indexes: [['paymentHash']],
    },
    {
      name: 'invoices',
      sqlName: 'invoices',
      columns: [
        col('paymentHash', 'bytes'),
        col('preimage', 'bytes', { nullable: true, secret: true }),
        col('amountMsat', 'bigint', { ...N, ...MSAT }),
        col('state', 'text'),
        col('expiresAt', 'int', N),
      ],
      key: ['paymentHash'],
      indexes: [],
    },
    {
      name: 'watchEntries',
      sqlName: 'watch_entries',
      columns: [
        col('triggerTxid', 'txid'),
        col('responseIndex', 'int'),
        col('factoryId', 'bytes', N),
        col('kind', 'text'),
        col('responseTx', 'bytes'),
        col('validFromHeight', 'int', N),
        col('relativeLock', 'int', N),
        col('secret', 'bytes', { nullable: true, secret: true }),
      ],
      key: ['triggerTxid', 'responseIndex'],
      indexes: [['factoryId']],
    },
    {
      name: 'lstockSecrets',
      sqlName: 'lstock_secrets',
      columns: [col('factoryId', 'bytes'), col('c', 'int'), col('secret', 'bytes', { secret: true })],
      key: ['factoryId', 'c'],
      indexes: [],
    },
    {
      name: 'broadcasts',
      sqlName: 'broadcasts',
      columns: [
        col('txid', 'txid'),
        col('rawTx', 'bytes'),
        col('purpose', 'text'),
        col('state', 'text'),
        col('firstHeight', 'int', N),
      ],
      key: ['txid'],
      indexes: [['state']],
    },
    {
      name: 'events',
      sqlName: 'events',
      columns: [
        col('updateId', 'bigint'),
        col('index', 'int', { column: 'idx' }),
        col('kind', 'text'),
        col('payload', 'bytes'),
      ],
      key: ['updateId', 'index'],
      indexes: [],
    },
    {
      name: 'blobs',
      sqlName: 'blobs',
      columns: [
        col('key', 'text', { column: 'blob_key' }),
        col('version', 'int'),
        col('data', 'bytes', { secret: 'secret' }),
        col('secret', 'bool'),
      ],
      key: ['key'],
      indexes: [],
    },
  ] satisfies TableSpec[]
).map(keyed);

/** Descriptor by table name. */
export const TABLE_BY_NAME: ReadonlyMap<string, TableSpec> = new Map(TABLE_SPECS.map((t) => [t.name, t]));
