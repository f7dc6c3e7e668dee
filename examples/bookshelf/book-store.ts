/**
 * The bookshelf's own storage: a SQLite file of its own next to Gatehouse's database (in the data directory).
 * A separate file, not a table in Gatehouse's database, because every commit there bumps the change counter
 * that makes every worker drop its user and API key caches; book writes should not do that.
 * Every worker process opens its own connection (WAL mode lets them read while one writes).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';

export interface Book {
  readonly id: number;
  readonly title: string;
  readonly ownerId: number;
  readonly owner: string;
}

interface BookRow {
  id: number;
  title: string;
  owner_id: number;
  owner: string;
}

const toBook = (row: BookRow): Book => ({
  id: row.id,
  title: row.title,
  ownerId: row.owner_id,
  owner: row.owner,
});

/**
 * Every worker opens the file at the same moment on the first start. Switching a database to WAL needs a lock
 * that SQLite does not wait for (the busy timeout does not apply), so a worker that loses the race retries
 * for a moment; once one has switched, the mode is stored in the file and the others find it set.
 */
function switchToWal(db: Database.Database): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 100) throw error;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

export class BookStore {
  private readonly all;
  private readonly one;
  private readonly insert;
  private readonly rename;
  private readonly remove;

  constructor(dataDir: string) {
    const db = new Database(join(dataDir, 'bookshelf.sqlite3'), { timeout: 5000 });
    switchToWal(db);
    db.exec(
      'CREATE TABLE IF NOT EXISTS books (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, owner_id INTEGER NOT NULL, owner TEXT NOT NULL)',
    );
    this.all = db.prepare<[], BookRow>('SELECT * FROM books ORDER BY id');
    this.one = db.prepare<[number], BookRow>('SELECT * FROM books WHERE id = ?');
    this.insert = db.prepare<[string, number, string], BookRow>(
      'INSERT INTO books (title, owner_id, owner) VALUES (?, ?, ?) RETURNING *',
    );
    this.rename = db.prepare<[string, number], BookRow>(
      'UPDATE books SET title = ? WHERE id = ? RETURNING *',
    );
    this.remove = db.prepare<[number]>('DELETE FROM books WHERE id = ?');
  }

  list(): Book[] {
    return this.all.all().map(toBook);
  }

  find(id: number): Book | null {
    const row = this.one.get(id);
    return row === undefined ? null : toBook(row);
  }

  create(title: string, ownerId: number, owner: string): Book {
    return toBook(this.insert.get(title, ownerId, owner)!);
  }

  retitle(id: number, title: string): Book {
    return toBook(this.rename.get(title, id)!);
  }

  delete(id: number): void {
    this.remove.run(id);
  }
}
