-- An optional e-mail address per user, for notifications about the assessment cycle. Empty
-- (NULL) means the person gets no e-mail; nothing else depends on it.
ALTER TABLE users ADD COLUMN email TEXT;
