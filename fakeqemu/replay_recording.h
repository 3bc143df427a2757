/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* replay_recording.h - -fake-replay RECORDING: play a recorded QEMU session to the same client */
#ifndef FQ_REPLAY_RECORDING_H
#define FQ_REPLAY_RECORDING_H

#include <stdbool.h>

/*
 * fq_replay_recording_requested() - whether this run replays a recording
 * (-fake-replay FILE or FAKEQEMU_REPLAY naming a file that starts like one;
 * conformance transcripts go to the machine model's replay instead).
 */
bool fq_replay_recording_requested(int argc, char **argv, const char **path);

/* fq_replay_recording_main() - serve @argv's monitors from the recording at @path. */
int fq_replay_recording_main(int argc, char **argv, const char *path);

#endif
