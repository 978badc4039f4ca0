-- SQLite's migration 0008 makes its trigger-written timeline cheaper per change;
-- PostgreSQL's one trigger function already branches before it inserts, so it
-- has nothing to change. This file keeps the two dialects' version numbers in
-- step, so a number means the same change on both.
SELECT 1;
