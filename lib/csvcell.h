#ifndef TERRA_CSVCELL_H
#define TERRA_CSVCELL_H
/*
 * CSV cells a spreadsheet would run: a cell that starts with = + - @ (or a
 * tab or CR) is a formula to Excel, LibreOffice and Google Sheets ("CSV
 * injection"), unless it is a plain number like "-12.500000000". The CSV
 * exports write such a cell as text instead: double-quoted, with a leading
 * apostrophe ("'+1+2"), which the spreadsheets show but do not evaluate.
 */
#include <stdio.h>

/* 1 when s would be read as a formula, as above. */
int terra_csvcell_is_formula(const char *s);
/* Writes s as a quoted text cell: '"', "'", s with each '"' doubled, '"'. -1 on a write error. */
int terra_csvcell_put_text(FILE *f, const char *s);

#endif
