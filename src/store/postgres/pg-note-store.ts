/** Notes of the example API in PostgreSQL, with the SQLite store's behaviour. */
import type pg from 'pg';
import type { Note, NoteStore } from '../types.js';
import { run, statement } from './pg-pool.js';

const ALL = statement(
  'notes_all',
  'SELECT n.id, n.text, u.username AS owner FROM gatehouse_notes n JOIN gatehouse_users u ON u.id = n.owner_id ORDER BY n.id',
);
const INSERT = statement(
  'note_insert',
  `WITH inserted AS (INSERT INTO gatehouse_notes (text, owner_id, created_at) VALUES ($1, $2, $3) RETURNING id, text, owner_id)
   SELECT i.id, i.text, u.username AS owner FROM inserted i JOIN gatehouse_users u ON u.id = i.owner_id`,
);

export class PgNoteStore implements NoteStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<Note[]> {
    const { rows } = await run<Note>(this.pool, ALL, []);
    return rows;
  }

  async create(ownerId: number, text: string, now: string): Promise<Note> {
    const { rows } = await run<Note>(this.pool, INSERT, [text, ownerId, now]);
    return rows[0]!;
  }
}
