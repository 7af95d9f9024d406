/** A native addon of some 12 MB resident: loaded when a password is first hashed or checked, not at every start. */
const argon2 = () => import('@node-rs/argon2');

export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password);
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) return false;
  const { verify } = await argon2(); // outside the try: a missing addon is an error, not a wrong password
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

export function passwordProblem(password: unknown): string | null {
  if (typeof password !== 'string') return 'password must be a string';
  if (password.length < 8) return 'password must have at least 8 characters';
  if (password.length > 1024) return 'password is too long';
  return null;
}
