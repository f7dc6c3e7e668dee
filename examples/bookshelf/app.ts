/**
 * Bookshelf: a small application built on Gatehouse's public API only. Start it with
 *
 *   make build && ./bin/gatehouse serve --config examples/bookshelf/app.json
 *
 * Every worker process imports this module (the `appModule` setting) and calls routes(services) once.
 *
 *   GET    /api/books/        anyone (anonymous callers throttled by address)   → the list
 *   POST   /api/books/        authenticated, scoped throttle "book_writes"     → 201 the new book
 *   GET    /api/books/:id/    anyone                                            → the book, or 404
 *   PUT    /api/books/:id/    authenticated, and only the book's owner         → 200 the book (object-level check)
 *   DELETE /api/books/:id/    the owner or a staff user                        → 204
 *
 * Authentication is the server's default list (`authenticationSchemes` in app.json: JWT, then API keys),
 * except where a route names its own.
 */
import {
  and,
  checkObjectPermission,
  constantReply,
  definePermission,
  defineRoute,
  ERRORS,
  IsAdminUser,
  IsAuthenticated,
  json,
  or,
  validateCharFields,
  withMessage,
  type AppServices,
  type RequestContext,
  type RouteDefinition,
} from '../../src/index.js';
import { BookStore, type Book } from './book-store.js';

const TITLE_MAX_LENGTH = 200;
const NO_CONTENT = constantReply(204, null);

/** Object-level: the request's user owns the book. The message is the 403 detail when it refuses. */
const IsOwner = definePermission<Book>({
  message: 'Only the owner of a book may change it.',
  hasObjectPermission: (ctx, book) => ctx.credentials !== null && ctx.credentials.user.id === book.ownerId,
});

/** DELETE: the owner, or staff. Composed permissions carry no message of their own (as in DRF), so give one. */
const IsOwnerOrStaff = withMessage(
  or(IsAdminUser, and(IsAuthenticated, IsOwner)),
  'Only the owner of a book or staff may delete it.',
);

const view = (book: Book) => ({ id: book.id, title: book.title, owner: book.owner });

export function routes(services: AppServices): RouteDefinition[] {
  const books = new BookStore(services.config.dataDir);

  /** The book of the route's :id, or null (DRF's get_object → 404). */
  const bookOf = (ctx: RequestContext): Book | null => {
    const id = ctx.params[0]!;
    return /^\d{1,15}$/.test(id) ? books.find(Number(id)) : null;
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/books/',
      name: 'Book List',
      description: 'Every book on the shelf.',
      throttles: ['anon'],
      handler: () => json(200, books.list().map(view)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/books/',
      name: 'Book List',
      description: 'Put a book on the shelf; you own it.',
      permission: IsAuthenticated,
      throttles: [{ scope: 'book_writes' }],
      handler: (ctx) => {
        const validated = validateCharFields(ctx.body!, [{ name: 'title', maxLength: TITLE_MAX_LENGTH }]);
        if (!validated.ok) return validated.error;
        const user = ctx.credentials!.user;
        return json(201, view(books.create(validated.values['title']!, user.id, user.username)));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/books/:id/',
      name: 'Book Detail',
      description: 'One book.',
      handler: (ctx) => {
        const book = bookOf(ctx);
        return book === null ? ERRORS.not_found : json(200, view(book));
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/books/:id/',
      name: 'Book Detail',
      description: 'Change the title of a book you own.',
      permission: IsAuthenticated,
      handler: (ctx) => {
        const book = bookOf(ctx);
        if (book === null) return ERRORS.not_found;
        // As DRF's get_object(): the object check runs before the body is validated.
        checkObjectPermission(ctx, IsOwner, book);
        const validated = validateCharFields(ctx.body!, [{ name: 'title', maxLength: TITLE_MAX_LENGTH }]);
        if (!validated.ok) return validated.error;
        return json(200, view(books.retitle(book.id, validated.values['title']!)));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/books/:id/',
      name: 'Book Detail',
      description: 'Take a book off the shelf (its owner or staff).',
      permission: IsAuthenticated,
      handler: (ctx) => {
        const book = bookOf(ctx);
        if (book === null) return ERRORS.not_found;
        checkObjectPermission(ctx, IsOwnerOrStaff, book);
        books.delete(book.id);
        return NO_CONTENT;
      },
    }),
  ];
}
