// cc: gcc -O2
/*
 * dyn_interp_errors: execve of a dynamically linked program whose
 * interpreter is missing or unusable. The program copies itself and
 * rewrites the PT_INTERP name of the copy.
 * Checks: a PT_INTERP naming a file that does not exist: ENOENT; an
 *   interpreter that is a text file: ELIBBAD; one without execute
 *   permission: EACCES; a directory: EACCES; the unchanged copy still
 *   runs (exit status 7); a failed exec leaves the caller as it was.
 * Mirrors: execve(2) (ENOENT: "An interpreter of an ELF executable could
 *   not be found", ELIBBAD: "An ELF interpreter was not in a recognized
 *   format", EACCES), fs/binfmt_elf.c load_elf_binary().
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/dyninterpXXXXXX";
static char *image;
static size_t image_len;

/* Write the program to `path` with its PT_INTERP naming `interp`. */
static void write_copy(const char *path, const char *interp)
{
	char *copy = malloc(image_len);
	memcpy(copy, image, image_len);
	Elf64_Ehdr *e = (Elf64_Ehdr *)copy;
	Elf64_Phdr *ph = (Elf64_Phdr *)(copy + e->e_phoff);
	for (int i = 0; i < e->e_phnum; i++)
		if (ph[i].p_type == PT_INTERP && interp) {
			if (strlen(interp) + 1 > ph[i].p_filesz)
				exit(3);
			memset(copy + ph[i].p_offset, 0, ph[i].p_filesz);
			strcpy(copy + ph[i].p_offset, interp);
		}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, copy, image_len) != (ssize_t)image_len)
		exit(4);
	close(fd);
	free(copy);
}

static void try_exec(const char *what, const char *interp)
{
	char path[64];
	snprintf(path, sizeof path, "%s/prog", dir);
	write_copy(path, interp);
	char *av[] = { path, "run", NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execv(path, av);
		printf("%s: execve: %s\n", what, strerror(errno));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 7)
		printf("%s: ran\n", what);
	unlink(path);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return 7;
	int fd = open("/proc/self/exe", O_RDONLY);
	struct stat sb;
	fstat(fd, &sb);
	image_len = sb.st_size;
	image = malloc(image_len);
	if (read(fd, image, image_len) != (ssize_t)image_len)
		return 2;
	close(fd);
	if (!mkdtemp(dir))
		return 2;
	char text[128], noexec[128], sub[128];
	snprintf(text, sizeof text, "%s/t", dir);
	snprintf(noexec, sizeof noexec, "%s/n", dir);
	snprintf(sub, sizeof sub, "%s/d", dir);
	fd = open(text, O_WRONLY | O_CREAT, 0755);
	for (int i = 0; i < 10; i++)
		write(fd, "#!/bin/sh\nexit 0\n", 17);
	close(fd);
	fd = open(noexec, O_WRONLY | O_CREAT, 0644);
	write(fd, image, image_len);
	close(fd);
	mkdir(sub, 0755);

	try_exec("unchanged", NULL);
	try_exec("missing", "/lib64/ld-nothere.so.2");
	try_exec("text file", text);
	try_exec("not executable", noexec);
	try_exec("directory", sub);
	unlink(text);
	unlink(noexec);
	rmdir(sub);
	rmdir(dir);
	printf("done\n");
	return 0;
}
