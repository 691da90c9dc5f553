/* Shared between the task module's sources; not installed. */
#ifndef CEAS_TASK_PRIVATE_H
#define CEAS_TASK_PRIVATE_H

#include "ceas_task.h"

/* The task's parameters as root attributes (ceasim_version, model, L, ...). */
int ceas_task_write_params(const ceas_task *t, hid_t loc, const char *command_line);

#endif
