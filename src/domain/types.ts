/** Shared, I/O-free types of the sync domain. Odoo-shaped on purpose: both ERP adapters speak them. */

export type DomainOperator = '&' | '|' | '!';
export type DomainLeaf = [field: string, operator: string, value: unknown];
export type DomainTerm = DomainOperator | DomainLeaf;

export interface Period {
  field: string;
  direction: 'last' | 'next';
  amount: number;
  unit: 'days' | 'weeks' | 'months' | 'years';
  includeCurrent: boolean;
}

export interface DefaultFolder {
  name: string;
  children: DefaultFolder[];
}

export interface SyncModel {
  id: number;
  model: string;
  folderName: string;
  domain: DomainTerm[];
  periods: Period[];
  nameExpression: string | null;
  defaultFolders: DefaultFolder[];
  active: boolean;
  sequence: number;
}

export interface ErpRecord {
  model: string;
  id: number;
  displayName: string;
  fields: Record<string, unknown>;
  writeDate: string;
  /** Records that nest (Enterprise Documents folders): the record this one is inside, if any. */
  parentId?: number | null;
}

export interface ErpAttachment {
  id: number;
  resModel: string;
  resId: number;
  name: string;
  type: 'binary' | 'url';
  url: string | null;
  isFolder: boolean;
  mimetype: string;
  size: number;
  checksum: string | null;
  /** Where the ERP keeps the binary (Odoo's `store_fname`), when it says: lets a batch open content without another lookup. */
  storeRef?: string | null;
}

export type SyncDirection = 'direct' | 'backward';
export type LogLevel = 'success' | 'warning' | 'error';
